import { z } from 'zod';
import { API_VERSION, Condition, DnsLabel, Duration, ObjectMeta, Quantity } from './common.js';
import { NAMESPACE_TEMPLATE_PATTERN } from './namespace-template.js';

export const FAASLET_KIND = 'Faaslet';

export const ConfigMapModuleRef = z.object({
  name: DnsLabel,
  key: z.string().min(1),
});

const SHA256_HEX = /^[a-f0-9]{64}$/;

/**
 * A module file named relative to the YAML that holds the Faaslet, in local mode only. A
 * relative path that stays beside or below that YAML: not absolute, no `..` segment, so a
 * Faaslet names its own files and nothing else of the machine's.
 */
const ModuleFile = z
  .string()
  .min(1)
  .max(1024)
  .refine((f) => !f.startsWith('/') && !f.split(/[/\\]/).includes('..'), {
    message: 'must be a relative path beside or below the YAML, with no .. segment',
  });

/** Local mode reads files; the API server refuses them, since a pod must never (ADR 0122). */
export const MODULE_FILE_LOCAL_ONLY =
  'file is for local mode only (glass up, glass runtime --faaslets); in Kubernetes use configMapRef (glass deploy) or url';

/**
 * Where the module's bytes come from: exactly one of a ConfigMap key (binaryData), a URL
 * pinned by its sha256, inline base64 for tiny modules, or (local mode only) a file beside
 * the YAML. The cross-field rules are refinements here and CEL rules in the generated CRD.
 */
export const ModuleSource = z
  .object({
    configMapRef: ConfigMapModuleRef.optional(),
    // The pattern is what the API server checks (it does not know zod's protocol option).
    url: z
      .url({ protocol: /^https?$/ })
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
      .optional(),
    sha256: z.string().regex(SHA256_HEX, 'must be 64 lowercase hex digits').optional(),
    inline: z.base64().optional(),
    file: ModuleFile.optional(),
  })
  .refine(
    (m) => [m.configMapRef, m.url, m.inline, m.file].filter((v) => v !== undefined).length === 1,
    { message: 'exactly one of configMapRef, url, inline or file must be set' },
  )
  .refine((m) => m.url === undefined || m.sha256 !== undefined, {
    message: 'url requires sha256',
    path: ['sha256'],
  })
  // The same rules for the API server, which cannot run the refinements above; and one more:
  // the API server refuses `file` outright, which local mode (no API server) never meets.
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '[has(self.configMapRef), has(self.url), has(self.inline), has(self.file)].filter(x, x).size() == 1',
        message: 'exactly one of configMapRef, url, inline or file must be set',
      },
      { rule: '!has(self.url) || has(self.sha256)', message: 'url requires sha256' },
      { rule: '!has(self.file)', message: MODULE_FILE_LOCAL_ONLY },
    ],
  });
export type ModuleSource = z.infer<typeof ModuleSource>;

export const Abi = z.enum(['glass', 'wasi-command']);
export type Abi = z.infer<typeof Abi>;

export const FaasletLimits = z.object({
  /** Wall-clock deadline of one invocation. */
  timeout: Duration.default('5s'),
  /** Maximum linear memory of one instance. */
  memory: Quantity.default('64Mi'),
  /** Invocations of this Faaslet running at once in one pod; one more answers 429. */
  maxConcurrency: z.number().int().min(1).max(100_000).default(1000),
  /** Idle instances of this Faaslet one pod keeps warm. */
  maxInstances: z.number().int().min(1).max(100_000).default(64),
});
export type FaasletLimits = z.infer<typeof FaasletLimits>;

export const Durability = z.enum(['local', 'global']);
export type Durability = z.infer<typeof Durability>;

/** A fixed namespace (a DNS label) or a keyed one, like `cart-{user}` (ADR 0100). */
export const NamespaceTemplateText = z
  .string()
  .min(1)
  .max(63)
  .regex(
    new RegExp(NAMESPACE_TEMPLATE_PATTERN),
    'must be a DNS-1123 label, or one with a single {user}, {session} or {key} placeholder (like cart-{user})',
  );

/**
 * What one invocation may store. An invocation over any of these fails with an error naming
 * the quota, and nothing it wrote is applied. The namespace quotas are checked against the
 * namespace's total after the commit, in the pod that owns it (docs/adr/0071-guest-quotas.md).
 */
export const StateQuota = z.object({
  /** Bytes of one value. */
  maxValueSize: Quantity.default('1Mi'),
  /** Bytes of the keys and values one transaction writes or deletes (nested calls included). */
  maxTransactionBytes: Quantity.default('4Mi'),
  /** Keys in the namespace. */
  maxKeys: z.number().int().min(1).max(100_000_000).default(10_000),
  /** Bytes of keys and values in the namespace. */
  maxNamespaceBytes: Quantity.default('64Mi'),
});
export type StateQuota = z.infer<typeof StateQuota>;

export const FaasletState = z.object({
  /**
   * Key namespace; Faaslets naming the same namespace share keys. Default: the Faaslet's name.
   * One placeholder makes it keyed: `cart-{user}` is a namespace per X-User-ID (ADR 0100).
   */
  namespace: NamespaceTemplateText.optional(),
  durability: Durability.default('local'),
  quota: StateQuota.prefault({}),
});

export const EnvVar = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'),
  value: z.string().default(''),
});

export const FaasletSpec = z.object({
  /** The GlassCluster (same namespace) whose pods serve this Faaslet. */
  cluster: DnsLabel.default('glass'),
  module: ModuleSource,
  abi: Abi.default('glass'),
  /** Exports callable over HTTP; absent means every exported function. */
  exports: z.array(z.string().min(1)).optional(),
  limits: FaasletLimits.prefault({}),
  state: FaasletState.prefault({}),
  env: z.array(EnvVar).default([]),
  args: z.array(z.string()).default([]),
});
export type FaasletSpec = z.infer<typeof FaasletSpec>;

export const FaasletStatus = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
  moduleDigest: z.string().optional(),
  exports: z.array(z.string()).optional(),
  /** The module imports state functions: the router sends its calls to its namespace's owner. */
  touchesState: z.boolean().optional(),
  invokeURL: z.string().optional(),
});
export type FaasletStatus = z.infer<typeof FaasletStatus>;

export const Faaslet = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(FAASLET_KIND),
  metadata: ObjectMeta,
  spec: FaasletSpec,
  status: FaasletStatus.optional(),
});
export type Faaslet = z.infer<typeof Faaslet>;
