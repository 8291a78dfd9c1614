import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { tooLarge } from '../runtime/errors.js';

const EMPTY = new Uint8Array(0);

/** A request's body, refused with 413 before reading when its declared length is over `limit`. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  const { headers } = request;
  const length = headers['content-length'];
  if (length === undefined && headers['transfer-encoding'] === undefined) return EMPTY;
  const declared = length === undefined ? undefined : Number(length);
  if (declared !== undefined && declared > limit) {
    throw tooLarge(`request body of ${declared} bytes is over the limit of ${limit}`);
  }
  const body = await getRawBody(request, { limit, length: declared || undefined });
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}
