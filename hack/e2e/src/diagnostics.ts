// What a failed e2e prints before it cleans up: the cluster's objects and events, the end of
// every container's log (and of the one before a restart), and the end of the node's own logs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from './cluster.js';

const TAIL_LINES = 40;
/** The node components whose logs hack/cluster.sh keeps in its state dir. */
const NODE_LOGS = ['kubelet', 'containerd', 'kube-proxy', 'kube-scheduler'];

async function tail(file: string, lines = TAIL_LINES): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(cannot read ${file}: ${(error as Error).message})`;
  }
}

function section(title: string, body: string): void {
  console.error(`\n----- ${title} -----\n${body.trimEnd()}`);
}

export async function printDiagnostics(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  const objects = await cluster.kubectl([
    'get',
    'nodes,deployments,replicasets,pods,services,endpointslices,glassclusters,faaslets',
    '--all-namespaces',
    '-o',
    'wide',
  ]);
  section('objects', objects.stdout + objects.stderr);
  const events = await cluster.kubectl([
    'get',
    'events',
    '--all-namespaces',
    '--sort-by=.lastTimestamp',
  ]);
  section('events', events.stdout.split('\n').slice(-60).join('\n') + events.stderr);
  const pods = await cluster.kubectl([
    'get',
    'pods',
    '--all-namespaces',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  ]);
  for (const line of pods.stdout.split('\n').filter(Boolean)) {
    const [namespace = '', name = ''] = line.split('/');
    for (const previous of [false, true]) {
      const log = await cluster.kubectl([
        'logs',
        '-n',
        namespace,
        name,
        '--all-containers',
        `--tail=${TAIL_LINES}`,
        ...(previous ? ['--previous'] : []),
      ]);
      if (previous && log.code !== 0) continue; // no container restarted
      section(`log of ${line}${previous ? ' (before its restart)' : ''}`, log.stdout + log.stderr);
    }
  }
  const stateDir = process.env.GLASS_CLUSTER_DIR ?? '/var/lib/glass-cluster';
  for (const component of NODE_LOGS) {
    section(`${component} log`, await tail(join(stateDir, `${component}.log`), 30));
  }
}
