import { strict as assert } from 'node:assert';
import type { Condition } from '@glass/crds';
import { findCondition, sameJson, setCondition } from '../../src/status/conditions.js';

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:01:00.000Z';

const ready = (status: Condition['status'], message = 'm', reason = 'Ready'): Condition => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: T0,
  observedGeneration: 1,
});

interface Case {
  name: string;
  before: Condition[] | undefined;
  input: { status: Condition['status']; reason: string; message: string };
  generation: number;
  want: Condition[];
}

const cases: Case[] = [
  {
    name: 'adds a condition that was not there, transitioning now',
    before: undefined,
    input: { status: 'True', reason: 'Ready', message: 'm' },
    generation: 1,
    want: [{ ...ready('True'), lastTransitionTime: T1 }],
  },
  {
    name: 'keeps lastTransitionTime when only the message, reason or generation changes',
    before: [ready('False', 'old', 'ModuleNotFound')],
    input: { status: 'False', reason: 'InvalidModule', message: 'new' },
    generation: 2,
    want: [{ ...ready('False', 'new', 'InvalidModule'), observedGeneration: 2 }],
  },
  {
    name: 'moves lastTransitionTime when the status flips',
    before: [ready('False')],
    input: { status: 'True', reason: 'Ready', message: 'm' },
    generation: 1,
    want: [{ ...ready('True'), lastTransitionTime: T1 }],
  },
  {
    name: 'keeps the other conditions, sorted by type',
    before: [ready('True'), { ...ready('True'), type: 'ModuleResolved' }],
    input: { status: 'True', reason: 'Ready', message: 'm' },
    generation: 1,
    want: [{ ...ready('True'), type: 'ModuleResolved' }, ready('True')],
  },
];

describe('setCondition', function () {
  for (const tc of cases) {
    it(tc.name, function () {
      const after = setCondition(tc.before, { type: 'Ready', ...tc.input }, T1, tc.generation);
      assert.deepEqual(after, tc.want);
    });
  }

  it('already done: setting what is there gives a status equal to the old one (no write)', function () {
    const before = { observedGeneration: 1, conditions: [ready('True')] };
    const after = {
      conditions: setCondition(
        before.conditions,
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'm' },
        T1,
        1,
      ),
      observedGeneration: 1,
    };
    assert.ok(sameJson(after, before));
    assert.equal(findCondition(after.conditions, 'Ready')?.lastTransitionTime, T0);
  });
});

describe('sameJson', function () {
  const cases: { name: string; a: unknown; b: unknown; same: boolean }[] = [
    {
      name: 'ignores key order',
      a: { x: 1, y: [1, { p: 1, q: 2 }] },
      b: { y: [1, { q: 2, p: 1 }], x: 1 },
      same: true,
    },
    {
      name: 'treats an undefined field as absent',
      a: { x: 1, y: undefined },
      b: { x: 1 },
      same: true,
    },
    { name: 'sees a changed value', a: { x: 1 }, b: { x: 2 }, same: false },
    { name: 'sees array order', a: [1, 2], b: [2, 1], same: false },
    { name: 'sees a field that is only on one side', a: { x: 1, z: 0 }, b: { x: 1 }, same: false },
  ];
  for (const tc of cases) {
    it(tc.name, function () {
      assert.equal(sameJson(tc.a, tc.b), tc.same);
    });
  }
});
