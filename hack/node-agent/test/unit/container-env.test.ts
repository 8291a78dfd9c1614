import { strict as assert } from 'node:assert';
import { expand } from '../../src/container-env.js';

const env = { A: 'one', B_2: 'two' };

const cases = [
  { name: 'a defined $(VAR) is replaced', text: 'x-$(A)-$(B_2)', want: 'x-one-two' },
  { name: 'an undefined $(VAR) stays as written', text: '$(C) and $(A)', want: '$(C) and one' },
  { name: '$$(VAR) escapes to a literal $(VAR)', text: '$$(A)', want: '$(A)' },
  { name: 'a lone $ is kept', text: 'cost: $5', want: 'cost: $5' },
  { name: 'text without references is unchanged', text: '0.0.0.0', want: '0.0.0.0' },
];

describe('expand (Kubernetes $(VAR) references)', () => {
  for (const tc of cases) {
    it(tc.name, () => {
      assert.equal(expand(tc.text, env), tc.want);
    });
  }
});
