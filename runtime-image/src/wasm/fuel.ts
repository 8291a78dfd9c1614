import { ByteReader, encodeU32 } from './leb128.js';
import { readInstruction } from './instructions.js';

/** The exported global through which the host sets and reads an instance's fuel. */
export const FUEL_EXPORT = '__glass_fuel';

/**
 * Bytes of memory (2^4) and elements of a table (2^1) per unit of fuel charged to a bulk
 * instruction. One unit is about one simple instruction (~3.7 ns here); `memory.fill` writes
 * some 10 bytes/ns, so 16 bytes a unit over-charges it, which only moves a long call to a
 * worker sooner. The counts are shifted, not multiplied, so the charge stays within i32.
 */
const MEMORY_SHIFT = 4;
const TABLE_SHIFT = 1;

/** Where a check goes: after a `loop` blocktype, or before a bulk instruction. */
type Insert = { at: number; loop: { weight: number } } | { at: number; shift: number };

interface FunctionPlan {
  /** Body bytes after the locals, where the entry check goes. */
  exprStart: number;
  /** In offset order: each loop body's check, each bulk instruction's charge of its count. */
  inserts: Insert[];
  /** Instructions in the whole body: what one call is charged. */
  weight: number;
}

function encodeS32(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const b = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (b & 0x40) === 0) || (rest === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** `fuel = <top of stack>; if (fuel < 0) unreachable`: the end of every charge. */
function storeAndTrapIfNegative(g: number[]): number[] {
  return [
    0x24,
    ...g, // global.set fuel
    0x23,
    ...g, // global.get fuel
    0x41,
    0x00, // i32.const 0
    0x48, // i32.lt_s
    0x04,
    0x40, // if (empty)
    0x00, // unreachable
    0x0b, // end
  ];
}

/** `fuel -= weight; if (fuel < 0) unreachable` */
function check(fuelGlobal: number, weight: number): number[] {
  const g = encodeU32(fuelGlobal);
  return [
    0x23,
    ...g, // global.get
    0x41,
    ...encodeS32(weight), // i32.const
    0x6b, // i32.sub
    ...storeAndTrapIfNegative(g),
  ];
}

/**
 * `scratch = n; fuel -= n >>> shift; if (fuel < 0) unreachable; push scratch`: charges the
 * count on top of the stack and leaves the stack as it was, through a scratch global (no new
 * local, so no function's locals change).
 */
function chargeCount(fuelGlobal: number, shift: number): number[] {
  const g = encodeU32(fuelGlobal);
  const scratch = encodeU32(fuelGlobal + 1);
  return [
    0x24,
    ...scratch, // global.set scratch
    0x23,
    ...g, // global.get fuel
    0x23,
    ...scratch, // global.get scratch
    0x41,
    shift, // i32.const shift
    0x76, // i32.shr_u
    0x6b, // i32.sub
    ...storeAndTrapIfNegative(g),
    0x23,
    ...scratch, // global.get scratch
  ];
}

function planFunction(bytes: Uint8Array, start: number, end: number): FunctionPlan {
  const reader = new ByteReader(bytes.subarray(0, end));
  reader.offset = start;
  for (let groups = reader.u32(); groups > 0; groups--) {
    reader.u32();
    reader.byte();
  }
  const plan: FunctionPlan = { exprStart: reader.offset, inserts: [], weight: 0 };
  const open: { loop: { weight: number } | undefined; countAtStart: number }[] = [];
  let count = 0;
  while (reader.offset < end) {
    const at = reader.offset;
    const op = readInstruction(reader);
    count++;
    if (op === 'bulk-memory') plan.inserts.push({ at, shift: MEMORY_SHIFT });
    else if (op === 'bulk-table') plan.inserts.push({ at, shift: TABLE_SHIFT });
    else if (op === 'block' || op === 'if' || op === 'loop') {
      const loop = op === 'loop' ? { weight: 0 } : undefined;
      if (loop) plan.inserts.push({ at: reader.offset, loop });
      open.push({ loop, countAtStart: count });
    } else if (op === 'end') {
      const closed = open.pop();
      if (closed?.loop) closed.loop.weight = Math.max(1, count - closed.countAtStart);
    }
  }
  plan.weight = Math.max(1, count);
  return plan;
}

interface Section {
  id: number;
  start: number;
  end: number;
}

function sections(bytes: Uint8Array): Section[] {
  const reader = new ByteReader(bytes);
  reader.offset = 8;
  const found: Section[] = [];
  while (!reader.done) {
    const id = reader.byte();
    const size = reader.u32();
    found.push({ id, start: reader.offset, end: reader.offset + size });
    reader.offset += size;
  }
  return found;
}

/** Collects byte chunks without spreading them into arguments (modules can be megabytes). */
class Chunks {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  add(part: Uint8Array | number[]): this {
    const bytes = part instanceof Uint8Array ? part : Uint8Array.from(part);
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  toBytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function withSize(id: number, body: Chunks): Chunks {
  return new Chunks().add([id, ...encodeU32(body.length)]).add(body.toBytes());
}

function readImportedGlobals(bytes: Uint8Array, section: Section | undefined): number {
  if (!section) return 0;
  const reader = new ByteReader(bytes.subarray(0, section.end));
  reader.offset = section.start;
  let globals = 0;
  for (let n = reader.u32(); n > 0; n--) {
    reader.name();
    reader.name();
    const kind = reader.byte();
    if (kind === 0) reader.u32();
    else if (kind === 1) {
      reader.byte();
      if (reader.byte() & 1) reader.u32();
      reader.u32();
    } else if (kind === 2) {
      if (reader.byte() & 1) reader.u32();
      reader.u32();
    } else if (kind === 3) {
      reader.take(2);
      globals++;
    } else {
      reader.byte();
      reader.u32();
    }
  }
  return globals;
}

function vecCount(bytes: Uint8Array, section: Section | undefined): number {
  if (!section) return 0;
  const reader = new ByteReader(bytes.subarray(0, section.end));
  reader.offset = section.start;
  return reader.u32();
}

/** The vector with `n` more entries appended (a new vector when the section is absent). */
function appendToVec(
  bytes: Uint8Array,
  section: Section | undefined,
  entries: number[],
  n = 1,
): Chunks {
  if (!section) return new Chunks().add(encodeU32(n)).add(entries);
  const reader = new ByteReader(bytes.subarray(0, section.end));
  reader.offset = section.start;
  const count = reader.u32();
  return new Chunks()
    .add(encodeU32(count + n))
    .add(bytes.subarray(reader.offset, section.end))
    .add(entries);
}

function instrumentCode(bytes: Uint8Array, section: Section, fuelGlobal: number): Chunks {
  const reader = new ByteReader(bytes.subarray(0, section.end));
  reader.offset = section.start;
  const count = reader.u32();
  const out = new Chunks().add(encodeU32(count));
  for (let i = 0; i < count; i++) {
    const size = reader.u32();
    const start = reader.offset;
    const end = start + size;
    const plan = planFunction(bytes, start, end);
    const body = new Chunks()
      .add(bytes.subarray(start, plan.exprStart))
      .add(check(fuelGlobal, plan.weight));
    let copied = plan.exprStart;
    for (const insert of plan.inserts) {
      const code =
        'loop' in insert
          ? check(fuelGlobal, insert.loop.weight)
          : chargeCount(fuelGlobal, insert.shift);
      body.add(bytes.subarray(copied, insert.at)).add(code);
      copied = insert.at;
    }
    body.add(bytes.subarray(copied, end));
    out.add(encodeU32(body.length)).add(body.toBytes());
    reader.offset = end;
  }
  return out;
}

/** Where a section id sorts among the known ones (custom sections go wherever they are). */
const SECTION_ORDER: Record<number, number> = { 13: 5.5, 12: 9.5 };
const sectionOrder = (id: number): number => SECTION_ORDER[id] ?? id;

/**
 * Returns the module with fuel metering: a new mutable i32 global, exported as
 * `__glass_fuel`, is charged each function's instruction count on entry, each loop body's
 * count per iteration, and each bulk instruction's byte or element count; below zero the
 * guest traps. The host sets the fuel before a call and
 * reads it after a trap to tell "ran out" from a real trap; `initialFuel` bounds the start
 * function. The globals are appended, so no
 * existing index moves. Throws UnsupportedInstruction for what it cannot decode.
 */
export function instrumentFuel(bytes: Uint8Array, initialFuel: number): Uint8Array {
  const all = sections(bytes);
  const find = (id: number): Section | undefined => all.find((s) => s.id === id);
  const fuelGlobal = readImportedGlobals(bytes, find(2)) + vecCount(bytes, find(6));
  // mut i32 = initialFuel: a start function runs at instantiation, before the host sets fuel.
  // Then the scratch global of chargeCount, mut i32 = 0.
  const newGlobals = [
    0x7f,
    0x01,
    0x41,
    ...encodeS32(initialFuel),
    0x0b,
    0x7f,
    0x01,
    0x41,
    0x00,
    0x0b,
  ];
  const name = [...new TextEncoder().encode(FUEL_EXPORT)];
  const newExport = [...encodeU32(name.length), ...name, 0x03, ...encodeU32(fuelGlobal)];
  const replaced = new Map<number, Chunks>([
    [6, withSize(6, appendToVec(bytes, find(6), newGlobals, 2))],
    [7, withSize(7, appendToVec(bytes, find(7), newExport))],
  ]);
  const code = find(10);
  if (code) replaced.set(10, withSize(10, instrumentCode(bytes, code, fuelGlobal)));

  const out = new Chunks().add(bytes.subarray(0, 8));
  const pending = [6, 7].filter((id) => !find(id));
  const emitPendingBefore = (order: number): void => {
    while (pending.length > 0 && (pending[0] ?? 0) < order) {
      const id = pending.shift() ?? 0;
      out.add((replaced.get(id) ?? new Chunks()).toBytes());
    }
  };
  for (const section of all) {
    if (section.id !== 0) emitPendingBefore(sectionOrder(section.id));
    const body = replaced.get(section.id);
    if (body) out.add(body.toBytes());
    else {
      out.add([section.id, ...encodeU32(section.end - section.start)]);
      out.add(bytes.subarray(section.start, section.end));
    }
  }
  emitPendingBefore(Infinity);
  return out.toBytes();
}
