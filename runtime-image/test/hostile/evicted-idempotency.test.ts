// Issue 15 item 3, the part ADR 80 left: a retry whose record the byte budget evicted runs
// again, and must say so (`Idempotent-Not-Stored: record-evicted`), so the client can tell a
// second execution from a replay. A flood of unique keys is the attack that evicts it.
import { strict as assert } from 'node:assert';
import { startRuntime, type TestRuntime } from '../support/runtime-server.js';

async function add(rt: TestRuntime, key: string): Promise<Response> {
  return fetch(`${rt.base}/invoke/counter/add`, {
    method: 'POST',
    body: '1',
    headers: { 'idempotency-key': key },
  });
}

describe('hostile clients: a retry whose Idempotency-Key record was evicted says it ran again', function () {
  let rt: TestRuntime;

  before(async function () {
    // Room for about a dozen records: a short flood evicts the oldest.
    rt = await startRuntime(undefined, {
      idempotency: { ttlMs: 3_600_000, budgetBytes: 4096, maxResponseBytes: 1024 },
    });
  });
  after(async function () {
    await rt.close();
  });

  it('replays a retry whose record is kept, with no such mark', async function () {
    const first = await add(rt, 'kept');
    const retry = await add(rt, 'kept');
    assert.equal(await retry.text(), await first.text());
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(retry.headers.get('idempotent-not-stored'), null);
  });

  it('marks the retry of an evicted record record-evicted, runs it once more, and keeps serving', async function () {
    const first = await add(rt, 'victim');
    assert.equal(first.headers.get('idempotent-not-stored'), null);
    const before = Number(await first.text());
    for (let i = 0; i < 100; i++) await (await add(rt, `flood-${i}`)).arrayBuffer();
    const retry = await add(rt, 'victim');
    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get('idempotent-replayed'), null);
    assert.equal(retry.headers.get('idempotent-not-stored'), 'record-evicted');
    assert.equal(Number(await retry.text()), before + 101, 'it ran again, after the flood');
    // Its new record is stored: the next retry replays it, unmarked.
    const again = await add(rt, 'victim');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.headers.get('idempotent-not-stored'), null);
    assert.equal((await fetch(`${rt.base}/health`)).status, 200);
  });
});
