// What a failed e2e prints before it cleans up: the cluster's objects and events, the end of
// every pod's log, and the end of the agent's own log.
import { readFile } from 'node:fs/promises';
import type { NodeAgent } from '../agent.js';
import type { ControlPlane } from './control-plane.js';

const TAIL_LINES = 40;

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

export async function printDiagnostics(
  plane: ControlPlane | undefined,
  agent: NodeAgent | undefined,
  agentLog: string,
): Promise<void> {
  if (plane) {
    const objects = await plane.kubectl([
      'get',
      'nodes,deployments,replicasets,pods,services,endpointslices,glassclusters,faaslets',
      '--all-namespaces',
      '-o',
      'wide',
    ]);
    section('objects', objects.stdout + objects.stderr);
    const events = await plane.kubectl([
      'get',
      'events',
      '--all-namespaces',
      '--sort-by=.lastTimestamp',
    ]);
    section('events', events.stdout.split('\n').slice(-60).join('\n') + events.stderr);
  }
  for (const pod of agent?.pods() ?? []) {
    for (const file of pod.logFiles) {
      section(`log of pod ${pod.namespace}/${pod.name} (${file})`, await tail(file));
    }
  }
  section(`node agent log (${agentLog})`, await tail(agentLog, 60));
}
