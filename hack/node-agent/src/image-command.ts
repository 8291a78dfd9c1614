// What a container of Glass's image runs, as a local command line over the built checkout.
//
// The image (runtime-image/Dockerfile) is the repository's built code under /app with
// ENTRYPOINT ["node", "/app/runtime-image/bin/glass.js"], CMD ["--help"], WORKDIR /app, and the
// `glass` and `glass-operator` commands on PATH. A container's command line is formed as a
// container runtime forms it (`command` replaces the entrypoint and drops CMD; `args` replaces
// CMD), then rewritten:
//   - `/app/...` (a whole argument, or the value of `--flag=/app/...`) → `<repo>/...`;
//   - `node`, `glass`, `glass-operator` as the command → this Node binary and the shim in the repo;
//   - `0.0.0.0` (a whole argument, or `--flag=0.0.0.0`) → the pod IP, since every pod shares the
//     machine's network and must listen on its own address only;
//   - `glass-operator` without `--health-host` gets `--health-host=<pod IP>`: its health server
//     otherwise listens on 0.0.0.0, the one listener a manifest does not show.
import type { V1Container } from '@kubernetes/client-node';

export const IMAGE_ROOT = '/app';
const ENTRYPOINT = ['node', '/app/runtime-image/bin/glass.js'];
const CMD = ['--help'];
/** The commands the image puts on PATH, and the script each one is. */
const ON_PATH: Record<string, string> = {
  glass: '/app/runtime-image/bin/glass.js',
  'glass-operator': '/app/operator/bin/glass-operator.js',
};
const OPERATOR_SCRIPT = ON_PATH['glass-operator'] ?? '';

export interface ImageContext {
  repoRoot: string;
  /** Repositories (last path segment) that are Glass's image. */
  imageNames: readonly string[];
  podIp: string;
  /** The Node binary that stands in for the image's `node`. */
  nodeBinary: string;
}

export type ImageCommand =
  | { ok: true; argv: string[]; cwd: string }
  | { ok: false; reason: 'ErrImagePull'; message: string };

/** `registry:5000/team/glass:1.0@sha256:…` → `glass`. */
export function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  return lastSegment.split(':')[0] ?? '';
}

function mapArgument(arg: string, context: ImageContext): string {
  const rewrite = (value: string): string => {
    if (value === '0.0.0.0') return context.podIp;
    if (value === IMAGE_ROOT || value.startsWith(`${IMAGE_ROOT}/`)) {
      return context.repoRoot + value.slice(IMAGE_ROOT.length);
    }
    return value;
  };
  const flag = /^(--?[^=]+=)(.*)$/.exec(arg);
  return flag ? `${flag[1] ?? ''}${rewrite(flag[2] ?? '')}` : rewrite(arg);
}

/** The container's command line as the image would run it, before any rewriting. */
function imageCommandLine(container: V1Container): string[] {
  if (container.command && container.command.length > 0) {
    return [...container.command, ...(container.args ?? [])];
  }
  return [...ENTRYPOINT, ...(container.args ?? CMD)];
}

export function resolveImageCommand(container: V1Container, context: ImageContext): ImageCommand {
  const image = container.image ?? '';
  if (!context.imageNames.includes(imageName(image))) {
    return {
      ok: false,
      reason: 'ErrImagePull',
      message:
        `the node agent runs only Glass's image (repositories named ${context.imageNames.join(', ')}), ` +
        `not "${image}"`,
    };
  }
  const line = imageCommandLine(container);
  const [command = '', ...rest] = line;
  const script = ON_PATH[command];
  const head = script !== undefined ? ['node', script] : [command];
  const argv = [...head, ...rest].map((arg) => mapArgument(arg, context));
  if (argv[0] === 'node') argv[0] = context.nodeBinary;
  const runsOperator = [...head, ...rest].includes(OPERATOR_SCRIPT);
  if (runsOperator && !rest.some((arg) => arg.startsWith('--health-host'))) {
    argv.push(`--health-host=${context.podIp}`);
  }
  const workingDir = container.workingDir ?? IMAGE_ROOT;
  return { ok: true, argv, cwd: mapArgument(workingDir, context) };
}
