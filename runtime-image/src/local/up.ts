// `glass up`: a whole GlassCluster on one machine. N runtime processes on loopback, the
// router in this process in front of them, Faaslets from YAML, no Kubernetes, no Redis.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogFromFiles } from '../placement/catalog-from-files.js';
import { FaasletCatalog } from '../placement/faaslet-catalog.js';
import { writeMembersFile } from '../placement/file-membership.js';
import type { Logger } from 'pino';
import { LocalProcessMembership } from '../router/local-membership.js';
import { startRouter, type RunningRouter } from '../router/router.js';
import type { UpFlags } from './config.js';
import { freePort } from './ports.js';
import { curlLine, defaultFaasletPaths, SAMPLE_LINES, workingLines } from './samples.js';
import { RuntimeSupervisor, type BackoffPolicy } from './supervisor.js';

export interface UpDeps {
  /** One line for the person at the terminal. */
  say: (line: string) => void;
  childOutput: (label: string, line: string, stream: 'stdout' | 'stderr') => void;
  log: Logger;
  cwd: string;
  backoff?: BackoffPolicy;
}

export interface LocalCluster {
  router: RunningRouter;
  supervisor: RuntimeSupervisor;
  faaslets: string[];
  /** Starts the runtimes; resolves once every one is ready and in the ring. */
  start(): Promise<void>;
  /** Stops the router, then every runtime; resolves when all processes have exited. */
  stop(): Promise<void>;
}

const MAIN_JS = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const PARENT_WATCH = new URL('./parent-watch.js', import.meta.url).href;

async function distinctFreePorts(count: number, host: string): Promise<number[]> {
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count && tries < count * 10; tries++)
    ports.add(await freePort(host));
  if (ports.size < count) throw new Error(`could not find ${count} free ports on ${host}`);
  return [...ports];
}

function runtimeArgs(
  flags: UpFlags,
  faaslets: string[],
  port: number,
  membersFile: string,
): string[] {
  return [
    '--import',
    PARENT_WATCH,
    MAIN_JS,
    'runtime',
    '--port',
    String(port),
    '--host',
    flags.host,
    '--log-level',
    flags.runtimeLogLevel,
    ...(flags.workers === undefined ? [] : ['--workers', String(flags.workers)]),
    ...(flags.redis === undefined ? [] : ['--redis', flags.redis]),
    '--members-file',
    membersFile,
    '--virtual-nodes',
    String(flags.virtualNodes),
    // Local mode runs on one machine: a module served on it is the point, not an attack.
    '--module-fetch-allow-cidr',
    '127.0.0.0/8',
    '--module-fetch-allow-cidr',
    '::1/128',
    '--faaslets',
    ...faaslets,
  ];
}

/** Starts the router (so a taken port fails first) and prepares the runtimes without starting them. */
export async function createLocalCluster(flags: UpFlags, deps: UpDeps): Promise<LocalCluster> {
  const faaslets = flags.faaslets.length > 0 ? [...flags.faaslets] : defaultFaasletPaths(deps.cwd);
  const membership = new LocalProcessMembership();
  // The router places each call on the owner of the namespace it touches (ADR 0101).
  const catalog = new FaasletCatalog();
  catalog.replaceAll(await catalogFromFiles(faaslets));
  const router = await startRouter(flags, membership, { log: deps.log, catalog });
  // The runtimes learn the same membership from a file, so they agree on every owner.
  const membersDir = await mkdtemp(join(tmpdir(), 'glass-up-'));
  const membersFile = join(membersDir, 'members.json');
  const stopWritingMembers = writeMembersFile(membership, membersFile);
  const supervisor = new RuntimeSupervisor({
    count: flags.runtimes,
    ports: await distinctFreePorts(flags.runtimes, flags.host),
    host: flags.host,
    command: (port) => ({
      file: process.execPath,
      args: runtimeArgs(flags, faaslets, port, membersFile),
    }),
    membership,
    readyTimeoutMs: flags.readyTimeout,
    say: deps.say,
    childOutput: deps.childOutput,
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  });
  const stop = async (): Promise<void> => {
    await router.close();
    await supervisor.stop();
    await stopWritingMembers();
    await membership.close();
    await rm(membersDir, { recursive: true, force: true });
  };
  return { router, supervisor, faaslets, start: () => supervisor.start(), stop };
}

/** Prints the curl lines that work on this cluster, each with what it answered. */
export async function printTryLines(up: LocalCluster, say: (line: string) => void): Promise<void> {
  const base = `localhost:${up.router.port}`;
  const working = await workingLines(up.router.url, SAMPLE_LINES);
  say('');
  say('Try:');
  for (const { line, answer } of working) {
    const shown = answer.length > 60 ? `${answer.slice(0, 57)}...` : answer;
    say(`  ${curlLine(base, line)}${line.path === '/lb/status' ? '' : `    # -> ${shown}`}`);
  }
  say(`  curl ${base}/metrics`);
  say('');
  say('Ctrl-C stops everything.');
}
