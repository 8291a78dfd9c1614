import assert from 'node:assert/strict';
import { parseRouterArgs } from '../../src/cli/router-command.js';
import { parseConfig, RouterFlags } from '../../src/router/config.js';

describe('router flags', () => {
  it('fill in the defaults of DESIGN.md and come back frozen', () => {
    const flags = parseConfig(RouterFlags, { backend: ['http://127.0.0.1:9001'] });
    assert.deepEqual(
      { ...flags },
      {
        host: '0.0.0.0',
        port: 8080,
        backend: ['http://127.0.0.1:9001'],
        balanceFactor: 1.25,
        headerTimeout: 10_000,
        requestTimeout: 30_000,
        idleTimeout: 65_000,
        maxConnections: 10_000,
        maxBuffered: 64 * 1024 * 1024,
        virtualNodes: 150,
        keys: ['user-id', 'session', 'function', 'client-ip'],
        trustedProxies: [],
        healthInterval: 1000,
        probeTimeout: 1000,
        unhealthyThreshold: 3,
        healthyThreshold: 2,
        maxBody: 1024 * 1024,
        upstreamTimeout: 60_000,
        maxAttempts: 3,
        logLevel: 'info',
      },
    );
    assert.ok(
      Object.isFrozen(flags) && Object.isFrozen(flags.keys) && Object.isFrozen(flags.backend),
    );
  });

  it('read strings the way commander hands them over', () => {
    const flags = parseConfig(RouterFlags, {
      port: '9000',
      backend: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002,http://127.0.0.1:9003'],
      keys: 'session,client-ip',
      trustedProxies: ['10.0.0.0/8', '127.0.0.1'],
      healthInterval: '200ms',
      maxBody: '64Ki',
    });
    assert.equal(flags.port, 9000);
    assert.equal(flags.backend.length, 3);
    assert.deepEqual(flags.keys, ['session', 'client-ip']);
    assert.equal(flags.healthInterval, 200);
    assert.equal(flags.maxBody, 65_536);
  });

  const bad = [
    { name: 'refuse a missing --backend', raw: {}, message: /--backend: give at least one/ },
    {
      name: 'refuse an unknown key source',
      raw: { backend: ['http://a:1'], keys: 'user-id,ip' },
      message: /--keys\[1\]/,
    },
    {
      name: 'refuse a backend with a path',
      raw: { backend: ['http://a:1/x'] },
      message: /no path/,
    },
    { name: 'refuse an https backend', raw: { backend: ['https://a:1'] }, message: /http:\/\// },
    {
      name: 'refuse a bad CIDR',
      raw: { backend: ['http://a:1'], trustedProxies: ['10.0.0.0/40'] },
      message: /--trusted-proxies\[0\]/,
    },
    {
      name: 'refuse a port out of range',
      raw: { backend: ['http://a:1'], port: '70000' },
      message: /--port/,
    },
    {
      name: 'refuse a duration without a unit',
      raw: { backend: ['http://a:1'], healthInterval: '5' },
      message: /--health-interval/,
    },
    {
      name: 'refuse --backend and --kubernetes-service together',
      raw: { backend: ['http://a:1'], kubernetesService: 'rt' },
      message: /--kubernetes-service: give either --backend URLs or --kubernetes-service, not both/,
    },
    {
      name: 'refuse --backend-port without --kubernetes-service',
      raw: { backend: ['http://a:1'], backendPort: '8080' },
      message: /--backend-port: needs --kubernetes-service/,
    },
    {
      name: 'refuse --kubeconfig without --kubernetes-service',
      raw: { backend: ['http://a:1'], kubeconfig: '/k' },
      message: /--kubeconfig: needs --kubernetes-service/,
    },
    {
      name: 'refuse a Service name that is not a DNS label',
      raw: { kubernetesService: 'Glass_Runtime' },
      message: /--kubernetes-service: must be a DNS-1123 label/,
    },
    {
      name: 'refuse a backend port out of range',
      raw: { kubernetesService: 'rt', backendPort: '0' },
      message: /--backend-port/,
    },
  ];
  for (const tc of bad) {
    it(tc.name, () => {
      assert.throws(() => parseConfig(RouterFlags, tc.raw), tc.message);
    });
  }

  it('read the Kubernetes source: Service, port and namespace, no backends', () => {
    const flags = parseConfig(RouterFlags, {
      kubernetesService: 'demo-runtime',
      backendPort: '9000',
      namespace: 'team',
      kubeconfig: '/etc/glass/kubeconfig',
    });
    assert.deepEqual(
      [
        flags.kubernetesService,
        flags.backendPort,
        flags.namespace,
        flags.kubeconfig,
        flags.backend,
      ],
      ['demo-runtime', 9000, 'team', '/etc/glass/kubeconfig', []],
    );
  });

  it('leave the namespace to the kubeconfig when neither --namespace nor POD_NAMESPACE says', () => {
    const flags = parseConfig(RouterFlags, { kubernetesService: 'demo-runtime' });
    assert.equal(flags.namespace, undefined);
    assert.equal(flags.backendPort, undefined);
  });
});

describe('glass router ARGS, parsed without running', () => {
  it('give the flags the command would run with', () => {
    const flags = parseRouterArgs([
      '--kubernetes-service',
      'demo-runtime',
      '--health-interval',
      '500ms',
      '--keys',
      'session,client-ip',
    ]);
    assert.deepEqual(
      [flags.kubernetesService, flags.healthInterval, flags.keys, flags.port, flags.host],
      ['demo-runtime', 500, ['session', 'client-ip'], 8080, '0.0.0.0'],
    );
  });

  it('take the namespace from POD_NAMESPACE, and --namespace over it', () => {
    const before = process.env.POD_NAMESPACE;
    process.env.POD_NAMESPACE = 'from-env';
    try {
      assert.equal(parseRouterArgs(['--kubernetes-service', 'rt']).namespace, 'from-env');
      const flags = parseRouterArgs(['--kubernetes-service', 'rt', '--namespace', 'from-flag']);
      assert.equal(flags.namespace, 'from-flag');
      // POD_NAMESPACE in a static router's environment is no error: it is just not used.
      assert.deepEqual(parseRouterArgs(['--backend', 'http://a:1']).backend, ['http://a:1']);
    } finally {
      if (before === undefined) delete process.env.POD_NAMESPACE;
      else process.env.POD_NAMESPACE = before;
    }
  });

  const refused = [
    { args: ['--kubernetes-service', 'rt', '--no-such-flag'], message: /unknown option/ },
    { args: [], message: /--backend: give at least one --backend URL, or --kubernetes-service/ },
  ];
  for (const tc of refused) {
    it(`refuse ${tc.args.join(' ') || 'no source at all'}`, () => {
      assert.throws(() => parseRouterArgs(tc.args), tc.message);
    });
  }
});
