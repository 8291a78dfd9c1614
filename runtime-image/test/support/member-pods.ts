// Runtime servers in this process that follow members files, so a test decides which pod sees
// which membership, and when: the placement tests of hand-offs and ownership changes.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimeConfig } from '../../src/config/runtime-config.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/local/ports.js';
import { Ownership } from '../../src/placement/ownership.js';
import { serveRuntime, type RunningRuntime } from '../../src/runtime/serve.js';

export interface MemberPod {
  name: string;
  base: string;
  port: number;
  membersFile: string;
  running?: RunningRuntime;
}

export interface MemberPodOptions {
  /** Faaslet YAML files or folders every pod serves. */
  faaslets: string[];
  handoffTimeoutMs?: number;
  /** One members file for all pods (they all see each change at once), else one per pod. */
  sharedMembersFile?: boolean;
}

/** Writes the members `pod` follows, all at once (a rename), as a membership change. */
export async function follow(pod: MemberPod, members: MemberPod[]): Promise<void> {
  const next = `${pod.membersFile}.next`;
  await writeFile(next, JSON.stringify(members.map((p) => ({ name: p.name, url: p.base }))));
  await rename(next, pod.membersFile);
}

/** The owner of `namespace` among `members`, computed as the pods compute it. */
export function ownerOf(namespace: string, members: MemberPod[]): string | undefined {
  const ring = new Ownership({ virtualNodes: 150 });
  ring.update(members.map((p) => ({ name: p.name, url: p.base })));
  return ring.ownerOf(namespace)?.name;
}

/** Starts one runtime per name, in `dir`, each first following all of them. */
export async function startMemberPods(
  dir: string,
  names: string[],
  options: MemberPodOptions,
): Promise<MemberPod[]> {
  const pods: MemberPod[] = [];
  for (const name of names) {
    const port = await freePort();
    const membersFile = join(dir, options.sharedMembersFile === true ? 'members.json' : name);
    pods.push({ name, port, base: `http://127.0.0.1:${port}`, membersFile });
  }
  for (const pod of pods) await follow(pod, pods);
  for (const pod of pods) {
    const config = {
      port: pod.port,
      host: '127.0.0.1',
      podName: pod.name,
      faaslets: options.faaslets,
      workers: 1,
      maxBodyBytes: 1024 * 1024,
      logLevel: 'silent',
      membersFile: pod.membersFile,
      ...(options.handoffTimeoutMs !== undefined && { handoffTimeoutMs: options.handoffTimeoutMs }),
    } as RuntimeConfig;
    pod.running = await serveRuntime(config, createLogger('silent', pod.name));
  }
  return pods;
}

export async function closeMemberPods(pods: MemberPod[]): Promise<void> {
  for (const pod of pods) await pod.running?.close();
}
