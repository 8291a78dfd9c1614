import type { Condition } from '@glass/crds';

export interface ConditionInput {
  type: string;
  status: Condition['status'];
  reason: string;
  message: string;
}

/**
 * The conditions with `input` set: lastTransitionTime moves only when the status changes, so
 * an unchanged condition compares equal and the status is not patched again.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  input: ConditionInput,
  now: string,
  observedGeneration: number | undefined,
): Condition[] {
  const existing = (conditions ?? []).find((c) => c.type === input.type);
  const lastTransitionTime =
    existing && existing.status === input.status ? existing.lastTransitionTime : now;
  const next: Condition = { ...input, lastTransitionTime, observedGeneration };
  return [...(conditions ?? []).filter((c) => c.type !== input.type), next].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
}

export function findCondition(
  conditions: Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Deep equality for plain JSON values (status objects). */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [k, canonical(v)]),
  );
}
