/** A cursor over wasm bytes that reads the LEB128 integers the binary format is made of. */
export class ByteReader {
  offset = 0;
  constructor(readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  byte(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new Error('unexpected end of module');
    this.offset++;
    return value;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('LEB128 too long');
    }
  }

  name(): string {
    const length = this.u32();
    const text = new TextDecoder('utf-8', { fatal: true }).decode(this.take(length));
    return text;
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new Error('unexpected end of module');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

export function encodeU32(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let b = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) b |= 0x80;
    out.push(b);
  } while (rest !== 0);
  return out;
}
