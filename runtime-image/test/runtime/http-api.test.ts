import { strict as assert } from 'node:assert';
import { call, errorOf, startRuntime, type TestRuntime } from '../support/runtime-server.js';

describe('runtime HTTP API', function () {
  let rt: TestRuntime;

  before(async function () {
    rt = await startRuntime();
  });
  after(async function () {
    await rt.close();
  });

  it('serves the classic GET /invoke/add?value=N: 10 then 20', async function () {
    assert.equal((await call(rt.base, 'GET', '/invoke/add?value=10')).text, '10');
    assert.equal((await call(rt.base, 'GET', '/invoke/add?value=10')).text, '20');
    assert.equal((await call(rt.base, 'GET', '/state/counter/counter')).text, '20');
  });

  it('takes numeric arguments from a POST body too', async function () {
    const before = Number((await call(rt.base, 'GET', '/invoke/counter/get')).text);
    const answer = await call(rt.base, 'POST', '/invoke/counter/add', '5');
    assert.equal(answer.status, 200);
    assert.equal(Number(answer.text), before + 5);
  });

  it('echoes the body through the WASI command', async function () {
    const answer = await call(rt.base, 'POST', '/invoke/echo-wasi/_start', 'hello glass\n');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, 'hello glass\n');
  });

  it('puts and gets JSON through the kv guest, and the value lands in state', async function () {
    const put = await call(rt.base, 'POST', '/invoke/kv/put', '{"key":"greeting","value":"hi"}');
    assert.equal(put.text, '{"ok":true}');
    const get = await call(rt.base, 'POST', '/invoke/kv/get', '{"key":"greeting"}');
    assert.equal(get.text, '{"key":"greeting","value":"hi"}');
    assert.equal((await call(rt.base, 'GET', '/state/kv/greeting')).text, 'hi');
  });

  it('reads, writes and deletes state through the admin routes', async function () {
    assert.equal((await call(rt.base, 'PUT', '/state/admin-test/k', 'v1')).status, 204);
    assert.equal((await call(rt.base, 'GET', '/state/admin-test/k')).text, 'v1');
    assert.equal((await call(rt.base, 'DELETE', '/state/admin-test/k')).status, 204);
    const gone = await call(rt.base, 'GET', '/state/admin-test/k');
    assert.equal(gone.status, 404);
    assert.equal(errorOf(gone).code, 'not_found');
  });

  it('answers health, readiness and Prometheus metrics', async function () {
    assert.equal((await call(rt.base, 'GET', '/health')).status, 200);
    const ready = await call(rt.base, 'GET', '/ready');
    assert.equal(ready.status, 200);
    const metrics = await call(rt.base, 'GET', '/metrics');
    assert.match(
      metrics.text,
      /glass_invocations_total\{faaslet="counter",export="add",outcome="ok"\} \d+/,
    );
    assert.match(metrics.text, /glass_state_commits_total\{result="committed"\} \d+/);
    assert.match(metrics.text, /glass_workers 2/);
    assert.match(metrics.text, /glass_fast_lane_calls\{result="ran"\} [1-9]/);
  });

  it('names the pod that answered in X-Glass-Pod, on invocations and errors too', async function () {
    const pod = `127.0.0.1:${rt.port}`;
    for (const path of ['/health', '/invoke/counter/get', '/invoke/nope/run', '/nowhere']) {
      const response = await fetch(`${rt.base}${path}`);
      await response.arrayBuffer();
      assert.equal(response.headers.get('x-glass-pod'), pod, path);
    }
  });

  it('answers an invocation with typed content and the codes of errors in X-Glass-Error', async function () {
    const numeric = await fetch(`${rt.base}/invoke/counter/get`);
    assert.equal(numeric.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await numeric.text(), /^-?\d+$/);
    const bytes = await fetch(`${rt.base}/invoke/kv/get`, { method: 'POST', body: '{"key":"x"}' });
    assert.equal(bytes.headers.get('content-type'), 'application/octet-stream');
    await bytes.arrayBuffer();
    const missing = await fetch(`${rt.base}/invoke/nope/run`, { method: 'POST' });
    assert.equal(missing.headers.get('x-glass-error'), 'not_found');
    assert.equal(missing.headers.get('content-type'), 'application/json; charset=utf-8');
    await missing.arrayBuffer();
  });

  it('refuses more `value` parameters than the export takes, and changes nothing', async function () {
    await call(rt.base, 'PUT', '/state/counter/counter', '7');
    const tooMany = await call(rt.base, 'GET', '/invoke/counter/add?value=1&value=2');
    assert.equal(tooMany.status, 400, tooMany.text);
    assert.match(errorOf(tooMany).message, /takes 1 numeric argument/);
    assert.equal((await call(rt.base, 'GET', '/invoke/counter/get')).text, '7');
  });

  it('gives 0 to a numeric parameter the call leaves out, as the original Glass did', async function () {
    await call(rt.base, 'PUT', '/state/counter/counter', '7');
    const answer = await call(rt.base, 'GET', '/invoke/counter/add');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, '7');
  });

  const badRequests = [
    {
      name: 'a POST to the one-segment classic form is a 400 saying which forms exist',
      method: 'POST',
      path: '/invoke/add',
      status: 400,
      code: 'bad_request',
      message: /use GET \/invoke\/:export\?value=N or POST \/invoke\/:faaslet\/:export/,
    },
    {
      name: 'an export several Faaslets share is a 400 naming them',
      method: 'GET',
      path: '/invoke/get',
      status: 400,
      code: 'bad_request',
      message: /ambiguous: Faaslets counter, kv/,
    },
    {
      name: 'an unknown Faaslet is a 404',
      method: 'POST',
      path: '/invoke/nope/run',
      status: 404,
      code: 'not_found',
      message: /no Faaslet named nope/,
    },
    {
      name: 'an unknown export is a 404 listing the exports',
      method: 'POST',
      path: '/invoke/counter/nope',
      status: 404,
      code: 'not_found',
      message: /exports: add, multiply, get/,
    },
    {
      name: 'an export no Faaslet has is a 404',
      method: 'GET',
      path: '/invoke/nope?value=1',
      status: 404,
      code: 'not_found',
      message: /no loaded Faaslet exports nope/,
    },
    {
      name: 'a non-numeric argument is a 400',
      method: 'GET',
      path: '/invoke/add?value=ten',
      status: 400,
      code: 'bad_request',
      message: /must be an integer, got "ten"/,
    },
    {
      name: 'a malformed percent-encoding in an invoke path is a 400',
      method: 'POST',
      path: '/invoke/counter/%E0%A4%A',
      status: 400,
      code: 'bad_request',
      message: /malformed percent-encoding/,
    },
    {
      name: 'a hand-off to a runtime that follows no membership is a 404',
      method: 'POST',
      path: '/handoff',
      status: 404,
      code: 'not_found',
      message: /follows no membership/,
    },
    {
      name: 'a keyed namespace without its value is a 400 naming the placeholder',
      method: 'POST',
      path: '/invoke/cart/add_item',
      status: 400,
      code: 'bad_request',
      message: /cart-\{user\} needs \{user\}/,
    },
    {
      name: 'an invoke path with a key but no export is a 400 or 404, never a call',
      method: 'POST',
      path: '/invoke/cart/add_item/k/extra',
      status: 404,
      code: 'not_found',
      message: /no route/,
    },
    {
      name: 'an unknown route is a 404',
      method: 'GET',
      path: '/nowhere',
      status: 404,
      code: 'not_found',
      message: /no route/,
    },
    {
      name: 'a bad namespace is a 400',
      method: 'GET',
      path: '/state/-not-a-name/k',
      status: 400,
      code: 'bad_request',
      message: /not a state namespace name/,
    },
  ];
  for (const tc of badRequests) {
    it(`${tc.name}, and a normal call at the same time still succeeds`, async function () {
      const [bad, normal] = await Promise.all([
        call(rt.base, tc.method, tc.path),
        call(rt.base, 'GET', '/invoke/counter/get'),
      ]);
      assert.equal(bad.status, tc.status, bad.text);
      const error = errorOf(bad);
      assert.equal(error.code, tc.code);
      assert.match(error.message, tc.message);
      assert.equal(normal.status, 200);
      assert.match(normal.text, /^\d+$/);
    });
  }
});
