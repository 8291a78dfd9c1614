// Issue 15 item 6: the router and the runtime read `Idempotency-Key` with one parser. An empty
// header is no key to the runtime (it stores and replays nothing), so the router must not
// retry on another pod a request carrying it that already reached a pod: that would run it twice.
import assert from 'node:assert/strict';
import { runGlass, type CliProcess } from '../support/cli-process.js';
import { call, freePort, MAIN_JS, Pool, spawnNode, waitFor, type Spawned } from './helpers.js';

async function startRuntime(): Promise<{ glass: CliProcess; url: string }> {
  const glass = runGlass([
    'runtime',
    '--port',
    '0',
    '--faaslets',
    'crds/samples/fixtures/spin.yaml',
  ]);
  const ready = JSON.parse(await glass.line(/"msg":"runtime ready"/)) as { port: number };
  return { glass, url: `http://127.0.0.1:${ready.port}` };
}

async function inFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^glass_invocations_in_flight (\d+)/m.exec(text)?.[1] ?? 0);
}

describe('an empty Idempotency-Key through a real router and real runtimes', function () {
  this.timeout(60_000);
  let runtimes: { glass: CliProcess; url: string }[] = [];
  let router: Spawned;
  let client: Pool;

  before(async function () {
    runtimes = await Promise.all([startRuntime(), startRuntime()]);
    const port = await freePort();
    const args = [MAIN_JS, 'router', '--port', String(port), '--host', '127.0.0.1'];
    for (const r of runtimes) args.push('--backend', r.url);
    router = await spawnNode(args, /router listening/);
    client = new Pool(`http://127.0.0.1:${port}`);
  });
  after(async function () {
    await client.close();
    await router.stop();
    for (const r of runtimes) await r.glass.stop();
  });

  it('is not retried on another pod once it reached one (502), like a request with no key', async function () {
    // `spin/run` loops until its 1 s timeout: long enough to kill the pod running it.
    const answer = call(client, '/invoke/spin/run', {
      method: 'POST',
      headers: { 'idempotency-key': '' },
    });
    let running: (typeof runtimes)[number] | undefined;
    await waitFor('a pod running the call', async () => {
      for (const r of runtimes) if ((await inFlight(r.url)) > 0) running = r;
      return running !== undefined;
    });
    await running?.glass.stop();
    const { status, json } = await answer;
    assert.equal(status, 502, `answered ${status} ${JSON.stringify(json)}: retried elsewhere`);
    assert.equal((json as { error: { code: string } }).error.code, 'upstream_failed');
    // The other pod still serves.
    const other = runtimes.find((r) => r !== running);
    assert.equal((await fetch(`${other?.url ?? ''}/health`)).status, 200);
  });
});
