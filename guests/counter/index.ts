// counter: the classic Glass demo guest. Numeric exports, so `GET /invoke/add?value=5`
// works; every Faaslet that names the same state namespace shares the one counter.
import { state } from '../sdk';

const KEY = 'counter';

/** Adds `value` and returns the new total. */
export function add(value: i32): i32 {
  // Incrementing on the host keeps this a single state operation.
  return <i32>state.increment(KEY, value);
}

/** Multiplies the counter by `value` and returns the new total. */
export function multiply(value: i32): i32 {
  // Read-modify-write is safe because the invocation is a serializable transaction.
  const next = state.getInteger(KEY) * <i64>value;
  state.setInteger(KEY, next);
  return <i32>next;
}

/** The current total (0 before the first write). */
export function get(): i32 {
  return <i32>state.getInteger(KEY);
}
