import { strict as assert } from 'node:assert';
import type { V1Container } from '@kubernetes/client-node';
import { imageName, resolveImageCommand, type ImageCommand } from '../../src/image-command.js';

const context = {
  repoRoot: '/repo',
  imageNames: ['glass'],
  podIp: '10.244.0.7',
  nodeBinary: '/usr/bin/node',
};

interface Case {
  name: string;
  container: Partial<V1Container>;
  want: ImageCommand;
}

const run = (argv: string[], cwd = '/repo'): ImageCommand => ({ ok: true, argv, cwd });
const GLASS = ['/usr/bin/node', '/repo/runtime-image/bin/glass.js'];
const OPERATOR = ['/usr/bin/node', '/repo/operator/bin/glass-operator.js'];

const cases: Case[] = [
  {
    name: 'no command runs the image entrypoint with the args, 0.0.0.0 becoming the pod IP',
    container: { image: 'glass:0.1.0', args: ['runtime', '--port', '8080', '--host', '0.0.0.0'] },
    want: run([...GLASS, 'runtime', '--port', '8080', '--host', '10.244.0.7']),
  },
  {
    name: 'no command and no args runs the image CMD (--help)',
    container: { image: 'glass' },
    want: run([...GLASS, '--help']),
  },
  {
    name: 'a registry path and digest still name the glass image',
    container: { image: 'registry.example:5000/team/glass:1.2@sha256:abc', args: ['router'] },
    want: run([...GLASS, 'router']),
  },
  {
    name: 'paths under /app, whole or after --flag=, map into the checkout',
    container: {
      image: 'glass',
      args: ['runtime', '--faaslets', '/app/crds/samples', '--x=/app/y'],
    },
    want: run([...GLASS, 'runtime', '--faaslets', '/repo/crds/samples', '--x=/repo/y']),
  },
  {
    name: 'the operator command gets --health-host=<pod IP>, its one hidden 0.0.0.0 listener',
    container: {
      image: 'glass',
      command: ['node', '/app/operator/bin/glass-operator.js'],
      args: ['--health-port=8081'],
    },
    want: run([...OPERATOR, '--health-port=8081', '--health-host=10.244.0.7']),
  },
  {
    name: 'an explicit --health-host=0.0.0.0 is rewritten, not doubled',
    container: { image: 'glass', command: ['glass-operator'], args: ['--health-host=0.0.0.0'] },
    want: run([...OPERATOR, '--health-host=10.244.0.7']),
  },
  {
    name: 'a command replaces the entrypoint and drops CMD; workingDir maps too',
    container: { image: 'glass', command: ['glass', 'demo'], workingDir: '/app/runtime-image' },
    want: run([...GLASS, 'demo'], '/repo/runtime-image'),
  },
  {
    name: 'any other image cannot be pulled',
    container: { image: 'redis:7-alpine' },
    want: {
      ok: false,
      reason: 'ErrImagePull',
      message:
        'the node agent runs only Glass\'s image (repositories named glass), not "redis:7-alpine"',
    },
  },
];

describe('resolveImageCommand', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      assert.deepEqual(resolveImageCommand({ name: 'c', ...tc.container }, context), tc.want);
    });
  }

  it('reads the repository name as the last path segment without tag or digest', () => {
    assert.equal(imageName('a/b/glass-like:1'), 'glass-like');
    assert.equal(imageName('localhost:5000/glass'), 'glass');
  });
});
