// Where the runtime's `--cluster` mode and the router's `--kubernetes-service` find their
// credentials and namespace: --kubeconfig, KUBECONFIG, the context. (Refusing client-node's
// unauthenticated last resort when nothing is found is covered by the router's cli.test.ts,
// in a process with an empty HOME.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { loadKubeTarget } from '../../src/kubernetes/kube-config.js';

interface FileOptions {
  /** The context's namespace; none when absent. */
  namespace?: string;
  server?: string;
}

/** A kubeconfig file named `name`, for a cluster at https://NAME.example:6443 unless told. */
function kubeconfigFile(dir: string, name: string, options: FileOptions = {}): string {
  const { namespace, server = `https://${name}.example:6443` } = options;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: false }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'ctx',
  });
  const path = join(dir, name);
  writeFileSync(path, config.exportConfig());
  return path;
}

describe('the Kubernetes target (credentials and namespace)', () => {
  let dir: string;
  const savedKubeconfig = process.env.KUBECONFIG;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'glass-kubeconfig-'));
  });

  afterEach(() => {
    if (savedKubeconfig === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = savedKubeconfig;
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const server = (kubeconfig?: string): string | undefined =>
    loadKubeTarget({ kubeconfig }).config.getCurrentCluster()?.server;

  it('is read from --kubeconfig first, even when KUBECONFIG is set', () => {
    process.env.KUBECONFIG = kubeconfigFile(dir, 'from-env');
    assert.equal(server(kubeconfigFile(dir, 'from-flag')), 'https://from-flag.example:6443');
  });

  it('is read from KUBECONFIG without --kubeconfig (how a process run by hand with a kubeconfig finds it)', () => {
    process.env.KUBECONFIG = kubeconfigFile(dir, 'from-env');
    assert.equal(server(), 'https://from-env.example:6443');
  });

  it('is used when it really names localhost:8080 (a kubectl proxy), unlike the last resort', () => {
    process.env.KUBECONFIG = kubeconfigFile(dir, 'proxy', { server: 'http://localhost:8080' });
    assert.equal(server(), 'http://localhost:8080');
  });

  const refused = [
    {
      name: 'is refused, naming the file, when --kubeconfig cannot be read',
      write: (): string => join(dir, 'missing'),
      message: /: cannot read the kubeconfig .*missing: ENOENT/,
    },
    {
      name: 'is refused when its current context names no cluster',
      write: (): string => {
        const path = join(dir, 'no-context');
        writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [] }));
        return path;
      },
      message: /: the kubeconfig .*no-context has no current context with a cluster$/,
    },
  ];
  for (const tc of refused) {
    it(tc.name, () => {
      assert.throws(() => loadKubeTarget({ kubeconfig: tc.write() }), tc.message);
    });
  }

  const namespaces = [
    { name: 'a given namespace wins', given: 'flag', context: 'ctx', want: 'flag' },
    { name: "else the context's namespace", given: undefined, context: 'ctx', want: 'ctx' },
    { name: 'else default', given: undefined, context: undefined, want: 'default' },
    { name: 'a blank context namespace is none', given: undefined, context: ' ', want: 'default' },
  ];
  for (const [i, tc] of namespaces.entries()) {
    it(`picks the namespace: ${tc.name}`, () => {
      const kubeconfig = kubeconfigFile(dir, `ns-${String(i)}`, { namespace: tc.context });
      assert.equal(loadKubeTarget({ kubeconfig, namespace: tc.given }).namespace, tc.want);
    });
  }
});
