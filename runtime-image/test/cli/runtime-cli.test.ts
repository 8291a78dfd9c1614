import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { call } from '../support/runtime-server.js';
import { runGlass, type CliProcess } from '../support/cli-process.js';

/** Whether a TCP connection to host:port is accepted (false: refused). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(error);
    });
  });
}

interface HostCase {
  name: string;
  flags: string[];
  glassHost: string | undefined;
  /** 127.0.0.2 is local but not 127.0.0.1: reached only when listening on every interface. */
  otherAddressAccepted: boolean;
}

const hostCases: HostCase[] = [
  {
    name: 'on a laptop (no --host, no GLASS_HOST) it listens on loopback 127.0.0.1 only',
    flags: [],
    glassHost: undefined,
    otherAddressAccepted: false,
  },
  {
    name: "with the image's GLASS_HOST=0.0.0.0 it listens on every interface",
    flags: [],
    glassHost: '0.0.0.0',
    otherAddressAccepted: true,
  },
  {
    name: 'a typed --host 127.0.0.1 wins over GLASS_HOST=0.0.0.0',
    flags: ['--host', '127.0.0.1'],
    glassHost: '0.0.0.0',
    otherAddressAccepted: false,
  },
];

describe('the glass executable', function () {
  describe('glass runtime --faaslets crds/samples', function () {
    let glass: CliProcess;
    let base: string;
    before(async function () {
      glass = runGlass(['runtime', '--port', '0', '--faaslets', 'crds/samples']);
      const ready = JSON.parse(await glass.line(/"msg":"runtime ready"/)) as { port: number };
      base = `http://127.0.0.1:${ready.port}`;
    });
    after(async function () {
      await glass.stop();
    });

    it('answers the classic curl twice: 10 then 20', async function () {
      assert.equal((await call(base, 'GET', '/invoke/add?value=10')).text, '10');
      assert.equal((await call(base, 'GET', '/invoke/add?value=10')).text, '20');
    });

    it('echoes a POST body through echo-wasi', async function () {
      assert.equal((await call(base, 'POST', '/invoke/echo-wasi/_start', 'ping\n')).text, 'ping\n');
    });

    it('logs each refused sample by file and name', function () {
      assert.match(
        glass.output(),
        /crds\/samples\/fixtures\/bad-import\.yaml: bad-import: imports what the host does not provide: glass\.launch_missiles/,
      );
      assert.match(
        glass.output(),
        /crds\/samples\/fixtures\/invalid\.yaml: invalid: not a valid WebAssembly module/,
      );
    });

    it('drains and exits 0 on SIGTERM', async function () {
      glass.child.kill('SIGTERM');
      assert.equal(await glass.exited, 0);
    });
  });

  describe('glass runtime: the address it listens on', function () {
    for (const tc of hostCases) {
      it(tc.name, async function () {
        const glass = runGlass(
          ['runtime', '--port', '0', '--faaslets', 'crds/samples', ...tc.flags],
          {
            GLASS_HOST: tc.glassHost,
          },
        );
        try {
          const ready = JSON.parse(await glass.line(/"msg":"runtime ready"/)) as { port: number };
          const health = await call(`http://127.0.0.1:${ready.port}`, 'GET', '/health');
          assert.equal(health.status, 200);
          assert.equal(await accepts('127.0.0.2', ready.port), tc.otherAddressAccepted);
        } finally {
          await glass.stop();
        }
      });
    }
  });

  it('glass demo ends with the counter at exactly 160', async function () {
    const demo = runGlass(['demo']);
    try {
      assert.equal(await demo.exited, 0, demo.output());
      const lines = demo
        .output()
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('{'));
      assert.equal(lines.at(-1), "--- Final State of 'counter': 160 ---");
      assert.equal(lines.filter((l) => /^Faaslet adder-\d+: add\(\d+\)/.test(l)).length, 3);
    } finally {
      await demo.stop();
    }
  });

  it('glass runtime refuses bad flags with a message and a non-zero exit', async function () {
    const bad = runGlass(['runtime', '--port', 'eighty']);
    try {
      assert.notEqual(await bad.exited, 0);
      assert.match(bad.output(), /port: Invalid input: expected number/);
    } finally {
      await bad.stop();
    }
  });
});
