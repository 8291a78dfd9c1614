// The router's own limits under attack (ADR 0104), against a real `glass router` process in
// front of a real backend process: a slowloris client and a crowd of stalled uploads are cut
// off, the router's memory stays bounded, and a normal call is answered meanwhile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import {
  call,
  freePort,
  killAll,
  MAIN_JS,
  Pool,
  spawnNode,
  startBackend,
  type Backend,
  type Spawned,
} from './helpers.js';

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

/** A raw connection to the router; resolves when connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves with how long after `since` the router closed `socket`. */
function closedAfter(socket: Socket, since: number): Promise<number> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', () => {
      resolve(Date.now() - since);
    });
  });
}

describe('the router’s limits (a real router process)', function () {
  this.timeout(60_000);
  let backend: Backend;
  let router: Spawned;
  let port: number;
  let pool: Pool;

  before(async () => {
    backend = await startBackend();
    port = await freePort();
    router = await spawnNode(
      [
        MAIN_JS,
        'router',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--backend',
        backend.url,
        '--header-timeout',
        '1s',
        '--request-timeout',
        '3s',
        '--max-buffered',
        '32Mi',
        '--max-body',
        '2Mi',
      ],
      /router listening/,
    );
    pool = new Pool(`http://127.0.0.1:${port}`);
  });

  after(async () => {
    await pool.close();
    await router.stop();
    await killAll();
  });

  it('cuts off a client that sends its headers a byte at a time, and serves others meanwhile', async () => {
    const socket = await open(port);
    const started = Date.now();
    const closed = closedAfter(socket, started);
    socket.write('GET /invoke/counter/get HTTP/1.1\r\nHost: x\r\n');
    let stillOpen = true;
    void closed.then(() => {
      stillOpen = false;
    });
    const trickle = setInterval(() => {
      if (stillOpen) socket.write('X');
    }, 100);
    try {
      const answer = await call(pool, '/invoke/echo/run', { method: 'POST', body: 'hi' });
      assert.equal(answer.status, 200);
      const after = await closed;
      assert.ok(after < 5000, `the slow client was cut off after ${after} ms (header timeout 1 s)`);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
  });

  it('bounds 200 stalled 1 MiB uploads: memory stays within the budget, they are cut off, others are served', async () => {
    const before = rssBytes(router.pid);
    const half = Buffer.alloc(512 * 1024, 'x');
    const sockets = await Promise.all(Array.from({ length: 200 }, () => open(port)));
    const started = Date.now();
    const closings = sockets.map((s) => closedAfter(s, started));
    const answers: string[] = sockets.map(() => '');
    sockets.forEach((s, i) => {
      s.on('data', (d: Buffer) => {
        answers[i] = `${answers[i] ?? ''}${d.toString('latin1')}`;
      });
      s.write('POST /invoke/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n');
      s.write(half);
    });
    let peak = 0;
    const sample = setInterval(() => {
      peak = Math.max(peak, rssBytes(router.pid));
    }, 50);
    try {
      const normal = await call(pool, '/invoke/echo/run', { method: 'POST', body: 'still here' });
      assert.equal(normal.status, 200, 'a normal call is answered while the uploads stall');
      const after = await Promise.all(closings);
      assert.ok(Math.max(...after) < 15_000, `all cut off within ${Math.max(...after)} ms`);
    } finally {
      clearInterval(sample);
      for (const s of sockets) s.destroy();
    }
    const budget = 32 * 1024 * 1024;
    assert.ok(
      peak - before < budget + 64 * 1024 * 1024,
      `router RSS grew by ${((peak - before) / 2 ** 20).toFixed(0)} MiB for 100 MiB of stalled bodies`,
    );
    const busy = answers.filter((a) => a.includes('router_busy')).length;
    assert.ok(busy > 0, 'past the budget, uploads are refused with 503 router_busy');
    const normal = await call(pool, '/invoke/echo/run', { method: 'POST', body: 'after' });
    assert.equal(normal.status, 200);
  });

  it('answers 404 to an absolute-form request line for a pod route, without reaching a pod', async () => {
    const socket = await open(port);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) resolve(text);
      });
    });
    socket.write(
      'PUT http://x/state/counter/counter HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n999',
    );
    const text = await answer;
    socket.destroy();
    assert.match(text, /^HTTP\/1\.1 404/);
    assert.doesNotMatch(text, /x-glass-pod/i);
  });
});
