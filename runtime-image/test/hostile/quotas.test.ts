import { strict as assert } from 'node:assert';
import { fixtureFaaslets } from '../support/fixture-faaslets.js';
import {
  call,
  errorOf,
  REPO_ROOT,
  startRuntime,
  type TestRuntime,
} from '../support/runtime-server.js';

/** The name `hog.spread` gives key number `i`: one letter a-p per hex digit, lowest first. */
const keyName = (i: number): string =>
  [0, 4, 8, 12].map((shift) => String.fromCharCode(97 + ((i >> shift) & 15))).join('');

const QUOTA = `state:
    quota: {maxValueSize: 64Ki, maxTransactionBytes: 256Ki, maxKeys: 100, maxNamespaceBytes: 512Ki}
`;

describe('guest state quotas (spec.state.quota)', function () {
  let rt: TestRuntime;

  before(async function () {
    const fixtures = await fixtureFaaslets([
      { name: 'hog', spec: `  ${QUOTA}` },
      { name: 'hog2', module: 'hog', spec: `  ${QUOTA}` },
    ]);
    rt = await startRuntime([fixtures, `${REPO_ROOT}crds/samples/counter.yaml`]);
  });
  after(async function () {
    await rt.close();
  });

  /** Sends a call over quota beside a normal one; checks the 413 naming it and the normal 200. */
  async function refused(path: string, quota: string): Promise<void> {
    const [answer, normal] = await Promise.all([
      call(rt.base, 'POST', path),
      call(rt.base, 'GET', '/invoke/counter/get'),
    ]);
    assert.equal(answer.status, 413, `${path}: ${answer.status} ${answer.text}`);
    assert.equal(errorOf(answer).code, 'quota_exceeded');
    assert.match(errorOf(answer).message, new RegExp(`quota ${quota} exceeded`));
    assert.equal(normal.status, 200);
  }

  const absent = async (namespace: string, key: string): Promise<void> => {
    const read = await call(rt.base, 'GET', `/state/${namespace}/${key}`);
    assert.equal(read.status, 404, `${namespace}/${key} was applied`);
  };

  it('refuses a value over maxValueSize and applies nothing', async function () {
    await refused('/invoke/hog/big?value=65537', 'maxValueSize');
    await absent('hog', 'v');
    assert.equal((await call(rt.base, 'POST', '/invoke/hog/big?value=65536')).status, 200);
  });

  it('refuses a transaction writing over maxTransactionBytes and applies none of its writes', async function () {
    await refused('/invoke/hog/spread?value=0&value=5&value=65536', 'maxTransactionBytes');
    await absent('hog', keyName(0));
  });

  it('counts the keys a transaction writes in maxTransactionBytes: long keys with empty values are refused too', async function () {
    // 70 keys of 4,000 bytes and no value bytes: 280,000 bytes under a 256 KiB quota.
    await refused('/invoke/hog/long?value=70&value=4000', 'maxTransactionBytes');
    const longKey = (i: number): string => keyName(i) + 'x'.repeat(3996);
    await absent('hog', longKey(0));
    const ok = await call(rt.base, 'POST', '/invoke/hog/long?value=60&value=4000');
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await call(rt.base, 'GET', `/state/hog/${longKey(59)}`)).status, 200);
  });

  it('refuses a commit that would leave the namespace over maxKeys, applying nothing', async function () {
    await refused('/invoke/hog/spread?value=0&value=101&value=16', 'maxKeys');
    await absent('hog', keyName(0));
    await absent('hog', keyName(100));
  });

  it('refuses a commit that would leave the namespace over maxNamespaceBytes, keeping what was stored', async function () {
    for (const start of [0, 3]) {
      const ok = await call(
        rt.base,
        'POST',
        `/invoke/hog2/spread?value=${start}&value=3&value=65536`,
      );
      assert.equal(ok.status, 200, ok.text);
    }
    await refused('/invoke/hog2/spread?value=6&value=3&value=65536', 'maxNamespaceBytes');
    await absent('hog2', keyName(6));
    assert.equal((await call(rt.base, 'GET', `/state/hog2/${keyName(5)}`)).status, 200);
  });
});
