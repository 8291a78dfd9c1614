// Decimal text to and from bytes on the hot path. A number's few ASCII digits are cheaper to
// copy in JS than to send through TextEncoder/TextDecoder, which cross into C++ per call.

/** Longer text goes through TextEncoder/TextDecoder, which win once there is more to copy. */
const SHORT = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of `text`; a copy per UTF-16 unit when it is short and all ASCII. */
export function textBytes(text: string): Uint8Array {
  if (text.length > SHORT) return encoder.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) return encoder.encode(text);
    bytes[i] = unit;
  }
  return bytes;
}

/** `bytes` as text when they are few and all ASCII (a copy per byte), else undefined. */
export function shortAsciiText(bytes: Uint8Array): string | undefined {
  if (bytes.length > SHORT) return undefined;
  let text = '';
  for (const byte of bytes) {
    if (byte > 0x7f) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

/** `bytes` as UTF-8 text; a copy per byte when they are few and all ASCII. */
export function bytesText(bytes: Uint8Array): string {
  return shortAsciiText(bytes) ?? decoder.decode(bytes);
}
