import assert from 'node:assert/strict';
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
  ];
  for (const tc of bad) {
    it(tc.name, () => {
      assert.throws(() => parseConfig(RouterFlags, tc.raw), tc.message);
    });
  }
});
