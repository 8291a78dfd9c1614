import { strict as assert } from 'node:assert';
import { imageAllowed } from '../../src/glasscluster/image-policy.js';

describe('the image allow-list', function () {
  const list = [
    'registry.example/team/glass',
    'ghcr.io/glass-dev/glass:0.1.0',
    'localhost:5000/glass',
  ];
  const cases: { name: string; image: string; allowed: string[]; want: boolean }[] = [
    { name: 'allows any image when no list is given', image: 'x/y:1', allowed: [], want: true },
    {
      name: 'allows a tag of a bare repository',
      image: 'registry.example/team/glass:2.0',
      allowed: list,
      want: true,
    },
    {
      name: 'allows a digest of a bare repository',
      image: 'registry.example/team/glass@sha256:ab',
      allowed: list,
      want: true,
    },
    {
      name: 'allows a listed reference exactly',
      image: 'ghcr.io/glass-dev/glass:0.1.0',
      allowed: list,
      want: true,
    },
    {
      name: 'refuses another tag of a listed reference',
      image: 'ghcr.io/glass-dev/glass:0.2.0',
      allowed: list,
      want: false,
    },
    {
      name: 'refuses a repository that only starts like a listed one',
      image: 'registry.example/team/glass-miner:1',
      allowed: list,
      want: false,
    },
    {
      name: 'reads a registry port as a registry, not a tag',
      image: 'localhost:5000/glass:1',
      allowed: list,
      want: true,
    },
    {
      name: 'refuses an unlisted registry',
      image: 'evil.example/glass:1',
      allowed: list,
      want: false,
    },
  ];
  for (const tc of cases) {
    it(tc.name, function () {
      assert.equal(imageAllowed(tc.image, tc.allowed), tc.want);
    });
  }
});
