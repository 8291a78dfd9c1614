export * from './common.js';
export * from './conditions.js';
export * from './configmap.js';
export * from './faaslet.js';
export * from './glasscluster.js';
export * from './manifests.js';
export * from './namespace-template.js';
export * from './crd.js';
