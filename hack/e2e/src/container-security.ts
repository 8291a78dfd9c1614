// The pods run with the chart's and the operator's securityContexts on a real kubelet: inside a
// runtime container the process is uid 65532, the root filesystem is read-only, and /tmp (an
// emptyDir) is the one place it can write.
import type { Cluster } from './cluster.js';
import { check } from './wait.js';

export interface ContainerSecurity {
  pod: string;
  uid: string;
  appWrite: string;
  tmpWrite: string;
}

export async function checkContainerSecurity(
  cluster: Cluster,
  namespace: string,
  pod: string,
): Promise<ContainerSecurity> {
  const exec = (command: string[]) =>
    cluster.kubectl(['exec', '-n', namespace, pod, '-c', 'runtime', '--', ...command]);
  const uid = await exec(['id', '-u']);
  check(
    uid.code === 0 && uid.stdout.trim() === '65532',
    `id -u in ${pod}: ${uid.stdout}${uid.stderr}`,
  );
  const app = await exec(['touch', '/app/written-by-e2e']);
  check(
    app.code !== 0 && /Read-only file system/i.test(app.stderr),
    `writing to /app in ${pod} fails as read-only: exit ${String(app.code)} ${app.stderr}`,
  );
  const root = await exec(['touch', '/written-by-e2e']);
  check(root.code !== 0, `writing to / in ${pod} fails: exit ${String(root.code)} ${root.stderr}`);
  const tmp = await exec(['touch', '/tmp/written-by-e2e']);
  check(tmp.code === 0, `writing to /tmp in ${pod} works: ${tmp.stderr}`);
  return {
    pod,
    uid: uid.stdout.trim(),
    appWrite: app.stderr.trim().split('\n')[0] ?? '',
    tmpWrite: 'ok',
  };
}
