import { ByteReader } from './leb128.js';

/** The module uses instructions the fuel instrumentation does not decode (SIMD, exceptions...). */
export class UnsupportedInstruction extends Error {}

const VALUE_TYPE_BYTES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x40]);

/** Skips a signed LEB128 of up to 64 bits. */
function skipSigned(reader: ByteReader): void {
  for (let i = 0; i < 10; i++) if ((reader.byte() & 0x80) === 0) return;
  throw new Error('LEB128 too long');
}

function skipBlockType(reader: ByteReader): void {
  const next = reader.bytes[reader.offset];
  if (next !== undefined && VALUE_TYPE_BYTES.has(next)) reader.offset++;
  else skipSigned(reader); // a type index, as s33
}

function skipMemarg(reader: ByteReader): void {
  reader.u32();
  reader.u32();
}

/** 0xFC sub-opcodes whose cost grows with their last operand: a byte or element count. */
const BULK_MEMORY = new Set([8, 10, 11]); // memory.init, memory.copy, memory.fill
const BULK_TABLE = new Set([12, 14, 15, 17]); // table.init, table.copy, table.grow, table.fill

/** Immediates of the 0xFC prefix: saturating truncation, bulk memory, table ops. */
function skipPrefixedFC(reader: ByteReader): Opcode {
  const sub = reader.u32();
  if (sub <= 7) return 'other';
  const twoIndexes = new Set([8, 10, 12, 14]);
  const oneIndex = new Set([9, 11, 13, 15, 16, 17]);
  if (twoIndexes.has(sub)) {
    reader.u32();
    reader.u32();
  } else if (oneIndex.has(sub)) reader.u32();
  else throw new UnsupportedInstruction(`0xfc ${sub}`);
  if (BULK_MEMORY.has(sub)) return 'bulk-memory';
  return BULK_TABLE.has(sub) ? 'bulk-table' : 'other';
}

const NO_IMMEDIATE = new Set([0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b, 0xd1]);
const ONE_INDEX = new Set([0x0c, 0x0d, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0xd2]);

/**
 * `bulk-memory` and `bulk-table` take a byte or element count as their last operand (on top
 * of the stack), so one instruction may cost anything from nothing to seconds.
 */
export type Opcode = 'block' | 'loop' | 'if' | 'end' | 'bulk-memory' | 'bulk-table' | 'other';

/**
 * Reads one instruction at the reader's offset, skipping its immediates, and says what it
 * means for block structure. Covers the MVP, sign extension, bulk memory, reference types,
 * tail calls and multi-value; anything else throws UnsupportedInstruction.
 */
export function readInstruction(reader: ByteReader): Opcode {
  const op = reader.byte();
  if (op === 0x02 || op === 0x03 || op === 0x04) {
    skipBlockType(reader);
    return op === 0x03 ? 'loop' : op === 0x02 ? 'block' : 'if';
  }
  if (op === 0x0b) return 'end';
  if (NO_IMMEDIATE.has(op) || (op >= 0x45 && op <= 0xc4)) return 'other';
  if (ONE_INDEX.has(op)) {
    reader.u32();
    return 'other';
  }
  if (op >= 0x28 && op <= 0x3e) {
    skipMemarg(reader);
    return 'other';
  }
  return readRare(op, reader);
}

function readRare(op: number, reader: ByteReader): Opcode {
  switch (op) {
    case 0x0e: // br_table
      for (let n = reader.u32(); n > 0; n--) reader.u32();
      reader.u32();
      return 'other';
    case 0x11: // call_indirect
    case 0x13: // return_call_indirect
      reader.u32();
      reader.u32();
      return 'other';
    case 0x1c: // select t*
      for (let n = reader.u32(); n > 0; n--) reader.byte();
      return 'other';
    case 0x3f: // memory.size
    case 0x40: // memory.grow
      reader.u32();
      return 'other';
    case 0x41:
    case 0x42:
      skipSigned(reader);
      return 'other';
    case 0x43:
      reader.take(4);
      return 'other';
    case 0x44:
      reader.take(8);
      return 'other';
    case 0xd0: // ref.null t
      reader.byte();
      return 'other';
    case 0xfc:
      return skipPrefixedFC(reader);
    default:
      throw new UnsupportedInstruction(`opcode 0x${op.toString(16)}`);
  }
}
