// A reader and writer for flat JSON objects whose values are strings or null: enough for
// request bodies like {"key":"k","value":"v"} without pulling a JSON library (and its size)
// into every guest. Bad input aborts with a message naming the problem and its offset, which
// the runtime reports as a trap.

const QUOTE: i32 = 0x22;
const BACKSLASH: i32 = 0x5c;

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

class Reader {
  pos: i32 = 0;

  constructor(
    public text: string,
    public what: string,
  ) {}

  // AssemblyScript's flow analysis does not know abort never returns, so callers that must
  // produce a value follow this with `return unreachable()`.
  fail(problem: string): void {
    abort(this.what + ': bad JSON input: ' + problem + ' at offset ' + this.pos.toString());
  }

  atEnd(): bool {
    return this.pos >= this.text.length;
  }

  peek(): i32 {
    return this.atEnd() ? -1 : this.text.charCodeAt(this.pos);
  }

  skipSpace(): void {
    while (!this.atEnd() && isSpace(this.peek())) this.pos++;
  }

  expect(c: i32, name: string): void {
    this.skipSpace();
    if (this.peek() != c) this.fail('expected ' + name);
    this.pos++;
  }

  /** Reads a string literal; the opening quote is the next non-space character. */
  readString(): string {
    this.expect(QUOTE, 'a string');
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.atEnd()) this.fail('unterminated string');
      const c = this.peek();
      if (c == QUOTE) break;
      if (c < 0x20) this.fail('control character in string');
      if (c == BACKSLASH) {
        out += this.text.substring(start, this.pos);
        out += this.readEscape();
        start = this.pos;
      } else {
        this.pos++;
      }
    }
    out += this.text.substring(start, this.pos);
    this.pos++;
    return out;
  }

  readEscape(): string {
    this.pos++;
    const c = this.peek();
    this.pos++;
    if (c == QUOTE || c == BACKSLASH || c == 0x2f) return String.fromCharCode(c);
    if (c == 0x6e) return '\n';
    if (c == 0x74) return '\t';
    if (c == 0x72) return '\r';
    if (c == 0x62) return '\b';
    if (c == 0x66) return '\f';
    if (c == 0x75) return String.fromCharCode(this.readHex4());
    this.pos--;
    this.fail('unknown escape');
    return unreachable();
  }

  readHex4(): i32 {
    let code = 0;
    for (let i = 0; i < 4; i++) {
      const digit = hexValue(this.peek());
      if (digit < 0) this.fail('expected 4 hex digits after \\u');
      code = (code << 4) | digit;
      this.pos++;
    }
    return code;
  }

  /** A string, or null for the literal `null`; nested values are not supported. */
  readValue(): string | null {
    this.skipSpace();
    if (this.peek() == QUOTE) return this.readString();
    if (this.text.substr(this.pos, 4) == 'null') {
      this.pos += 4;
      return null;
    }
    this.fail('expected a string or null (only flat objects of strings are supported)');
    return unreachable();
  }
}

/** Parses `{"name":"value",...}`; `what` prefixes every error (e.g. the guest's name). */
export function parseFlatObject(text: string, what: string): Map<string, string | null> {
  const reader = new Reader(text, what);
  const fields = new Map<string, string | null>();
  reader.expect(0x7b, '{');
  reader.skipSpace();
  if (reader.peek() == 0x7d) {
    reader.pos++;
  } else {
    for (;;) {
      const name = reader.readString();
      reader.expect(0x3a, ':');
      fields.set(name, reader.readValue());
      reader.skipSpace();
      if (reader.peek() == 0x7d) {
        reader.pos++;
        break;
      }
      reader.expect(0x2c, ', or }');
    }
  }
  reader.skipSpace();
  if (!reader.atEnd()) reader.fail('unexpected text after the object');
  return fields;
}

function escapeChar(c: i32): string {
  if (c == QUOTE) return '\\"';
  if (c == BACKSLASH) return '\\\\';
  if (c == 0x0a) return '\\n';
  if (c == 0x0d) return '\\r';
  if (c == 0x09) return '\\t';
  const hex = c.toString(16);
  return '\\u' + '0000'.substring(hex.length) + hex;
}

/** `text` as a JSON string literal, quotes included. */
export function quote(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == QUOTE || c == BACKSLASH || c < 0x20) {
      out += text.substring(start, i) + escapeChar(c);
      start = i + 1;
    }
  }
  return out + text.substring(start) + '"';
}
