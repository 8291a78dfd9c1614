import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { tooLarge } from '../runtime/errors.js';
import type { MaybeAsync } from '../runtime/maybe-async.js';

const EMPTY = new Uint8Array(0);

/**
 * A request's body, refused with 413 before reading when its declared length is over `limit`.
 * A request that declares no body has it at once, with no promise (ADR 8).
 */
export function readBody(request: IncomingMessage, limit: number): MaybeAsync<Uint8Array> {
  const { headers } = request;
  const length = headers['content-length'];
  if (length === undefined && headers['transfer-encoding'] === undefined) return EMPTY;
  const declared = length === undefined ? undefined : Number(length);
  if (declared !== undefined && declared > limit) {
    throw tooLarge(`request body of ${declared} bytes is over the limit of ${limit}`);
  }
  return getRawBody(request, { limit, length: declared || undefined }).then(
    (body) => new Uint8Array(body.buffer, body.byteOffset, body.length),
  );
}
