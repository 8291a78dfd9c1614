// Issue 15 item 3 (ADR 127): `spec.state.quota`'s namespace quotas (maxKeys,
// maxNamespaceBytes) hold for `durability: global` too, counted in Redis by the commit scripts
// themselves, so every pod sharing the Redis sees one count. Over one answers 413 naming it,
// with nothing applied, and the pod keeps serving.
import { strict as assert } from 'node:assert';
import { RedisSettings } from '../../src/state/redis-config.js';
import { fixtureFaaslets } from '../support/fixture-faaslets.js';
import { RedisServer } from '../support/redis-server.js';
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

const state = (quota: string): string => `  state:
    durability: global
    quota: {${quota}}
`;
const QUOTA =
  'maxValueSize: 64Ki, maxTransactionBytes: 256Ki, maxKeys: 100, maxNamespaceBytes: 512Ki';

describe('hostile guests: namespace quotas hold for durability: global (issue 15 item 3)', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let pods: TestRuntime[] = [];

  before(async function () {
    redis = await RedisServer.start();
    const fixtures = await fixtureFaaslets([
      { name: 'ghog', module: 'hog', spec: state(QUOTA) },
      { name: 'ghog2', module: 'hog', spec: state(QUOTA) },
      // One key per call: the one-key commit script (ADR 47) must count too.
      {
        name: 'ghog3',
        module: 'hog',
        spec: state(
          'maxValueSize: 64Ki, maxTransactionBytes: 256Ki, maxKeys: 10, maxNamespaceBytes: 64Ki',
        ),
      },
    ]);
    const settings = RedisSettings.parse({ url: redis.url });
    const paths = [fixtures, `${REPO_ROOT}crds/samples/counter.yaml`];
    // Two pods on one Redis: the count is Redis's, not a pod's.
    pods = await Promise.all([
      startRuntime(paths, { redis: settings }),
      startRuntime(paths, { redis: settings }),
    ]);
  });
  after(async function () {
    await Promise.all(pods.map((p) => p.close()));
    await redis.stop();
  });

  async function refused(pod: TestRuntime, path: string, quota: string): Promise<void> {
    const [answer, normal] = await Promise.all([
      call(pod.base, 'POST', path),
      call(pod.base, 'GET', '/invoke/counter/get'),
    ]);
    assert.equal(answer.status, 413, `${path}: ${answer.status} ${answer.text}`);
    assert.equal(errorOf(answer).code, 'quota_exceeded');
    assert.match(errorOf(answer).message, new RegExp(`quota ${quota} exceeded`));
    assert.equal(normal.status, 200);
  }

  const absent = async (namespace: string, key: string): Promise<void> => {
    const read = await call(pods[0]!.base, 'GET', `/state/${namespace}/${key}`);
    assert.equal(read.status, 404, `${namespace}/${key} was applied`);
  };

  it('refuses a commit that would leave the namespace over maxKeys, applying nothing', async function () {
    await refused(pods[0]!, '/invoke/ghog/spread?value=0&value=101&value=16', 'maxKeys');
    await absent('ghog', keyName(0));
    await absent('ghog', keyName(100));
  });

  it('counts across pods: what one pod stored counts against another pod’s commit', async function () {
    for (const [pod, start] of [
      [pods[0]!, 0],
      [pods[1]!, 3],
    ] as const) {
      const ok = await call(
        pod.base,
        'POST',
        `/invoke/ghog2/spread?value=${start}&value=3&value=65536`,
      );
      assert.equal(ok.status, 200, ok.text);
    }
    await refused(
      pods[0]!,
      '/invoke/ghog2/spread?value=6&value=3&value=65536',
      'maxNamespaceBytes',
    );
    await absent('ghog2', keyName(6));
    assert.equal((await call(pods[1]!.base, 'GET', `/state/ghog2/${keyName(5)}`)).status, 200);
  });

  it('refuses a one-key commit over maxNamespaceBytes, and takes one that fits', async function () {
    await refused(pods[1]!, '/invoke/ghog3/big?value=65536', 'maxNamespaceBytes');
    await absent('ghog3', 'v');
    const fits = await call(pods[1]!.base, 'POST', '/invoke/ghog3/big?value=1000');
    assert.equal(fits.status, 200, fits.text);
    // The count follows the stored value, not the refused one: a larger value that fits now goes.
    assert.equal((await call(pods[0]!.base, 'POST', '/invoke/ghog3/big?value=60000')).status, 200);
  });
});
