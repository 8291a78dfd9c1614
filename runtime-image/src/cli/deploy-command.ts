// `glass deploy module.wasm --name N`: the ConfigMap + Faaslet YAML for a module (like
// `spin kube scaffold`), printed, or server-side applied with the current kubeconfig.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { z } from 'zod';
import {
  Abi,
  API_VERSION,
  ConfigMap,
  describeZodError,
  DnsLabel,
  Durability,
  Duration,
  Faaslet,
  FAASLET_KIND,
  Quantity,
} from '@glass/crds';
import { compileFaaslet, sha256Hex } from '../runtime/compile-faaslet.js';
import { compressModule } from '../runtime/gzip-module.js';

/** Field manager of `--apply`: what kubectl shows as the writer of these objects. */
export const DEPLOY_FIELD_MANAGER = 'glass-deploy';
/** The key of the module in its ConfigMap's binaryData, as in crds/samples. */
export const MODULE_KEY = 'module.wasm';
/** The key of a module stored gzip-compressed, when it is over MAX_CONFIGMAP_MODULE_BYTES. */
export const COMPRESSED_MODULE_KEY = 'module.wasm.gz';
/** The API server refuses a ConfigMap whose data is over 1 MiB; leave room for the rest. */
export const MAX_CONFIGMAP_MODULE_BYTES = 1024 * 1024 - 4096;

/** `glass deploy` flags, parsed once at the edge into a frozen object. */
export const DeployFlags = z.object({
  module: z.string().min(1),
  name: DnsLabel,
  cluster: DnsLabel.default('glass'),
  namespace: DnsLabel.optional(),
  abi: Abi.default('glass'),
  exports: z
    .string()
    .transform((list) => list.split(',').map((e) => e.trim()))
    .pipe(z.array(z.string().min(1)).min(1))
    .optional(),
  timeout: Duration.optional(),
  memory: Quantity.optional(),
  durability: Durability.optional(),
  /** Serve the module from this URL (pinned by its sha256) instead of a ConfigMap. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  check: z.boolean().default(true),
  apply: z.boolean().default(false),
  kubeconfig: z.string().min(1).optional(),
  forceConflicts: z.boolean().default(false),
});
export type DeployFlags = z.infer<typeof DeployFlags>;

export interface DeployManifests {
  /** Absent when the module comes from `--url`. */
  configMap: ConfigMap | undefined;
  faaslet: Faaslet;
  /** What the module exports that the Faaslet serves (after `--check`). */
  exports: string[] | undefined;
}

const metadata = (flags: DeployFlags, name: string): Faaslet['metadata'] => ({
  name,
  ...(flags.namespace ? { namespace: flags.namespace } : {}),
  labels: {
    'app.kubernetes.io/name': flags.name,
    'app.kubernetes.io/managed-by': DEPLOY_FIELD_MANAGER,
  },
});

function faasletSpec(flags: DeployFlags, module: Record<string, unknown>): Record<string, unknown> {
  const limits = {
    ...(flags.timeout ? { timeout: flags.timeout } : {}),
    ...(flags.memory ? { memory: flags.memory } : {}),
  };
  return {
    cluster: flags.cluster,
    module,
    abi: flags.abi,
    ...(flags.exports ? { exports: flags.exports } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(flags.durability ? { state: { durability: flags.durability } } : {}),
  };
}

/** Parses `value` with `schema`, or throws naming what was being built and each problem. */
function validated<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/**
 * The ConfigMap holding the module and the Faaslet that serves it, both checked against the
 * same zod schemas the runtime and the operator use; with `check`, the module is compiled the
 * way the runtime will compile it, so a module Glass would refuse is refused here.
 */
export async function buildDeployManifests(
  flags: DeployFlags,
  bytes: Uint8Array,
): Promise<DeployManifests> {
  let configMap: ConfigMap | undefined;
  let module: Record<string, unknown>;
  if (flags.url) {
    module = { url: flags.url, sha256: sha256Hex(bytes) };
  } else {
    // Over a ConfigMap's 1 MiB, the module goes in gzip-compressed (ADR 0091).
    const compressed = bytes.byteLength > MAX_CONFIGMAP_MODULE_BYTES;
    const stored = compressed ? compressModule(bytes) : bytes;
    if (stored.byteLength > MAX_CONFIGMAP_MODULE_BYTES) {
      throw new Error(
        `${flags.module} is ${bytes.byteLength} bytes (${stored.byteLength} gzip-compressed); a ConfigMap holds at most 1 MiB: host the module and pass --url <https URL> (the Faaslet pins it by sha256)`,
      );
    }
    const key = compressed ? COMPRESSED_MODULE_KEY : MODULE_KEY;
    const configMapName = `${flags.name}-module`;
    configMap = validated(
      ConfigMap,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: metadata(flags, configMapName),
        binaryData: { [key]: Buffer.from(stored).toString('base64') },
      },
      `ConfigMap ${configMapName}`,
    );
    module = { configMapRef: { name: configMapName, key } };
  }
  const faaslet = validated(
    Faaslet,
    {
      apiVersion: API_VERSION,
      kind: FAASLET_KIND,
      metadata: metadata(flags, flags.name),
      spec: faasletSpec(flags, module),
    },
    `Faaslet ${flags.name}`,
  );
  if (!flags.check) return { configMap, faaslet, exports: undefined };
  const definition = await compileFaaslet(faaslet, bytes).catch((error: unknown) => {
    throw new Error(`${flags.module}: ${(error as Error).message}`);
  });
  return { configMap, faaslet, exports: definition.exports.map((e) => e.name) };
}

/**
 * What the user would write by hand: only the fields given, not the defaults the schemas
 * fill in (the CRD applies the same defaults), so the YAML stays short and readable.
 */
function asWritten(flags: DeployFlags, manifests: DeployManifests): Record<string, unknown>[] {
  const { configMap, faaslet } = manifests;
  const spec = faasletSpec(flags, faaslet.spec.module);
  return [
    ...(configMap ? [configMap] : []),
    { apiVersion: faaslet.apiVersion, kind: faaslet.kind, metadata: faaslet.metadata, spec },
  ];
}

/** The manifests as one YAML stream, with a header saying how it was made and how to call it. */
export function renderDeployYaml(flags: DeployFlags, manifests: DeployManifests): string {
  const calls = (manifests.exports ?? []).map(
    (name) => `#   curl -X POST localhost:8080/invoke/${flags.name}/${name}`,
  );
  const header = [
    `# Generated by glass deploy ${flags.module} --name ${flags.name}: ${manifests.configMap ? 'the module in a ConfigMap, and the Faaslet that serves it' : `a Faaslet serving ${flags.url ?? ''}`}.`,
    '# kubectl apply -f this file, or run glass deploy again with --apply.',
    ...(calls.length > 0
      ? ['# Once Ready, through the router of its GlassCluster:', ...calls]
      : []),
  ];
  // YAML 1.1 quoting, as kubectl reads it: a name such as `no` or `on` stays a string.
  const docs = asWritten(flags, manifests).map((o) =>
    stringify(o, { version: '1.1', lineWidth: 0 }),
  );
  return `${header.join('\n')}\n${docs.join('---\n')}`;
}

/** Server-side applies the manifests with the kubeconfig's credentials; lines like kubectl's. */
async function applyManifests(flags: DeployFlags, manifests: DeployManifests): Promise<string[]> {
  // Loaded only here: the other subcommands do not pay for the Kubernetes client.
  const { KubeConfig, KubernetesObjectApi, PatchStrategy } =
    await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (flags.kubeconfig) config.loadFromFile(flags.kubeconfig);
  else config.loadFromDefault();
  const namespace =
    flags.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
  const api = KubernetesObjectApi.makeApiClient(config);
  const lines: string[] = [];
  for (const object of asWritten(flags, manifests)) {
    const target = object as { kind: string; metadata: Record<string, unknown> };
    const ref = `${target.kind.toLowerCase()}/${String(target.metadata.name)}`;
    try {
      await api.patch(
        { ...target, metadata: { ...target.metadata, namespace } },
        undefined,
        undefined,
        DEPLOY_FIELD_MANAGER,
        flags.forceConflicts,
        PatchStrategy.ServerSideApply,
      );
    } catch (error) {
      throw new Error(`applying ${ref} in namespace ${namespace}: ${apiMessage(error)}`);
    }
    lines.push(`${ref} serverside-applied (namespace ${namespace})`);
  }
  lines.push(
    `kubectl wait --for=condition=Ready faaslet/${flags.name} -n ${namespace}   # then call it through the router of GlassCluster ${flags.cluster}`,
  );
  return lines;
}

/** The server's message for a refused request, plus what to do about the usual ones. */
function apiMessage(error: unknown): string {
  const { code, body } = error as { code?: unknown; body?: unknown };
  if (typeof code !== 'number') return (error as Error).message;
  let message = typeof body === 'string' ? body : JSON.stringify(body);
  try {
    message = (JSON.parse(message) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the raw body
  }
  const hints: Record<number, string> = {
    404: ' (are the Glass CRDs installed? helm install glass charts/glass)',
    409: ' (another field manager owns these fields: --force-conflicts takes them)',
  };
  return `${code} ${message.trim()}${hints[code] ?? ''}`;
}

export function registerDeployCommand(program: Command): void {
  const command: Command = program
    .command('deploy')
    .description(
      'print (or --apply) the ConfigMap + Faaslet YAML that deploys a WebAssembly module to a GlassCluster',
    )
    .argument('<module>', 'the .wasm file')
    .requiredOption('--name <name>', 'the Faaslet (the module ConfigMap is <name>-module)')
    .option('--cluster <name>', 'the GlassCluster that serves it', 'glass')
    .option('--namespace <ns>', 'namespace (default: none in the YAML; the context’s with --apply)')
    .option('--abi <abi>', 'glass or wasi-command', 'glass')
    .option('--exports <list>', 'comma-separated exports to serve (default: all)')
    .option('--timeout <duration>', 'deadline of one invocation, e.g. 5s')
    .option('--memory <quantity>', 'maximum linear memory of one instance, e.g. 64Mi')
    .option('--durability <durability>', 'local or global state')
    .option('--url <url>', 'serve the module from this URL, pinned by its sha256, not a ConfigMap')
    .option('--no-check', 'skip compiling the module the way the runtime will')
    .option('--apply', 'server-side apply to the cluster of the current kubeconfig')
    .option('--kubeconfig <path>', 'kubeconfig for --apply (default: $KUBECONFIG, ~/.kube/config)')
    .option('--force-conflicts', 'with --apply, take over fields another manager owns');
  command.action(async (module: string, options: Record<string, unknown>) => {
    const parsed = DeployFlags.safeParse({ ...options, module });
    if (!parsed.success) command.error(`glass deploy: ${describeZodError(parsed.error)}`);
    const flags = Object.freeze(parsed.data);
    try {
      const bytes = new Uint8Array(await readFile(flags.module));
      const manifests = await buildDeployManifests(flags, bytes);
      if (!flags.apply) {
        process.stdout.write(renderDeployYaml(flags, manifests));
        return;
      }
      for (const line of await applyManifests(flags, manifests)) console.log(line);
    } catch (error) {
      // Not a usage error: the message alone, no help text.
      console.error(`glass deploy: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  });
}
