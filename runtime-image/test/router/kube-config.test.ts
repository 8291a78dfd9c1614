// Where the router's credentials and namespace come from: --kubeconfig, KUBECONFIG, context.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig, resolveNamespace } from '../../src/router/kube-config.js';

/** A kubeconfig file whose context has `namespace` (or none). */
function kubeconfigFile(dir: string, name: string, namespace?: string): string {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `https://${name}.example:6443`, skipTLSVerify: false }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'ctx',
  });
  const path = join(dir, name);
  writeFileSync(path, config.exportConfig());
  return path;
}

describe('the router kubeconfig', () => {
  let dir: string;
  const savedKubeconfig = process.env.KUBECONFIG;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'glass-router-kubeconfig-'));
  });

  afterEach(() => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is read from --kubeconfig first, even when KUBECONFIG is set', () => {
    process.env.KUBECONFIG = kubeconfigFile(dir, 'from-env');
    const config = loadKubeConfig(kubeconfigFile(dir, 'from-flag'));
    assert.equal(config.getCurrentCluster()?.server, 'https://from-flag.example:6443');
  });

  it('is read from KUBECONFIG without --kubeconfig (how the local node agent runs pods)', () => {
    process.env.KUBECONFIG = kubeconfigFile(dir, 'from-env');
    assert.equal(loadKubeConfig().getCurrentCluster()?.server, 'https://from-env.example:6443');
  });

  it('is refused when its current context names no cluster', () => {
    const path = join(dir, 'no-context');
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [] }));
    assert.throws(() => loadKubeConfig(path), /has no current context with a cluster/);
  });

  const namespaces = [
    { name: 'a given namespace wins', given: 'flag', context: 'ctx', want: 'flag' },
    { name: "else the context's namespace", given: undefined, context: 'ctx', want: 'ctx' },
    { name: 'else default', given: undefined, context: undefined, want: 'default' },
  ];
  for (const tc of namespaces) {
    it(`picks the namespace: ${tc.name}`, () => {
      const config = loadKubeConfig(kubeconfigFile(dir, `ns-${tc.want}`, tc.context));
      assert.equal(resolveNamespace(config, tc.given), tc.want);
    });
  }
});
