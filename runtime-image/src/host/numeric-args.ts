import type { ValueType } from '../wasm/module-info.js';
import type { ExportSignature } from './protocol.js';

/** A request whose arguments do not fit the export's signature. */
export class ArgumentError extends Error {}

const INTEGER = /^-?[0-9]+$/;
const NUMBER = /^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(e[-+]?[0-9]+)?$/i;

/** Numbers from a body of whitespace- or comma-separated decimal text. */
export function argsFromText(text: string): string[] {
  return text.split(/[\s,]+/).filter((part) => part.length > 0);
}

function checkOne(type: ValueType, text: string, index: number): void {
  const integer = type === 'i32' || type === 'i64';
  if (!(integer ? INTEGER : NUMBER).test(text)) {
    throw new ArgumentError(
      `argument ${index + 1} must be ${integer ? 'an integer' : 'a number'}, got "${text}"`,
    );
  }
  if (type === 'i32' && (Number(text) < -(2 ** 31) || Number(text) >= 2 ** 32)) {
    throw new ArgumentError(`argument ${index + 1} is out of the i32 range: ${text}`);
  }
  if (type === 'i64' && (BigInt(text) < -(2n ** 63n) || BigInt(text) >= 2n ** 64n)) {
    throw new ArgumentError(`argument ${index + 1} is out of the i64 range: ${text}`);
  }
}

/** Checks the arguments on the main thread, so a bad request never reaches a worker. */
export function checkArgs(signature: ExportSignature, args: string[]): void {
  // Fewer arguments than parameters is fine: the rest are 0, as in the original Glass.
  if (args.length > signature.params.length) {
    throw new ArgumentError(
      `${signature.name} takes ${signature.params.length} numeric argument(s) (${signature.params.join(', ') || 'none'}), got ${args.length}`,
    );
  }
  args.forEach((text, i) => {
    checkOne(signature.params[i] ?? 'i64', text, i);
  });
}

/** The JavaScript values V8 expects for each parameter type. */
export function toWasmArgs(signature: ExportSignature, args: string[]): (number | bigint)[] {
  return signature.params.map((type, i) => {
    const text = args[i] ?? '0';
    return type === 'i64' ? BigInt.asIntN(64, BigInt(text)) : Number(text);
  });
}

/** A callable export is either numeric (numbers in and out) or bytes (`() -> ()`). */
export function isNumericExport(signature: ExportSignature): boolean {
  return signature.params.length > 0 || signature.results.length > 0;
}

export function isCallableSignature(params: ValueType[], results: ValueType[]): boolean {
  const plain = (t: ValueType): boolean => t !== 'v128' && t !== 'ref';
  return params.every(plain) && results.length <= 1 && results.every(plain);
}
