// Issue 15 item 4: a module URL is fetched only from public addresses unless a range is
// allowed by name, after DNS and after every redirect, with a byte cap, and what goes into a
// Faaslet's status says nothing about the servers it tried. Real HTTP servers on loopback.
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Faaslet } from '@glass/crds';
import { sha256Hex } from '../../src/runtime/compile-faaslet.js';
import {
  DEFAULT_MODULE_FETCH_POLICY,
  DigestMismatchError,
  ModuleFetchError,
  ModuleNotFoundError,
  ModuleTooLargeError,
  resolveModuleBytes,
  type ModuleFetchPolicy,
} from '../../src/runtime/module-bytes.js';

const MODULE = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
// Far more than loopback socket buffers hold: the server cannot have sent it all unless the
// client read it all (4 MiB fitted in the buffers once on a CI run).
const BIG = 64 * 1024 * 1024;

function faasletAt(url: string, sha256 = sha256Hex(MODULE)): Faaslet {
  return { spec: { module: { url, sha256 } } } as unknown as Faaslet;
}

const LOOPBACK: ModuleFetchPolicy = {
  ...DEFAULT_MODULE_FETCH_POLICY,
  allowCidrs: ['127.0.0.0/8'],
};

/** Why fetching `url` under `policy` failed (the error), or the bytes. */
async function attempt(url: string, policy?: ModuleFetchPolicy, sha?: string): Promise<unknown> {
  return resolveModuleBytes(faasletAt(url, sha), new Map(), policy).catch(
    (error: unknown) => error,
  );
}

describe('fetching a module from spec.module.url', function () {
  let server: Server;
  let base: string;
  let bytesSent = 0;

  before(async function () {
    server = createServer((request, response) => {
      switch (request.url) {
        case '/module.wasm':
          response.writeHead(200).end(MODULE);
          return;
        case '/to-metadata':
          response.writeHead(302, { Location: 'http://169.254.169.254/latest/meta-data/' }).end();
          return;
        case '/to-loopback-6':
          response.writeHead(307, { Location: `http://[::1]:${port()}/module.wasm` }).end();
          return;
        case '/big-chunked': {
          // No Content-Length: the cap must cut the stream itself off.
          const chunk = Buffer.alloc(64 * 1024);
          const write = (): void => {
            while (bytesSent < BIG) {
              bytesSent += chunk.length;
              if (!response.write(chunk)) {
                response.once('drain', write);
                return;
              }
            }
            response.end();
          };
          response.writeHead(200);
          write();
          return;
        }
        default:
          response.writeHead(404).end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${port()}`;
  });
  after(function () {
    server.close();
  });
  const port = (): number => (server.address() as AddressInfo).port;

  it('refuses a loopback server by default, with a generic message and the reason as detail', async function () {
    const error = await attempt(`${base}/module.wasm`);
    assert.ok(error instanceof ModuleFetchError, String(error));
    assert.ok(error instanceof ModuleNotFoundError);
    assert.equal(error.message, 'spec.module.url could not be fetched (the operator log says why)');
    assert.match(error.detail, /127\.0\.0\.1 is a loopback, link-local or private address/);
  });

  it('refuses a name that resolves to loopback (the check is after DNS)', async function () {
    const error = await attempt(`http://localhost:${port()}/module.wasm`);
    assert.ok(error instanceof ModuleFetchError, String(error));
    assert.match(error.detail, /localhost: .* is a loopback, link-local or private address/);
  });

  it('fetches from loopback when its range is allowed by name', async function () {
    assert.deepEqual(await attempt(`${base}/module.wasm`, LOOPBACK), MODULE);
  });

  it('refuses a redirect to a link-local address (cloud metadata), even from an allowed server', async function () {
    const error = await attempt(`${base}/to-metadata`, LOOPBACK);
    assert.ok(error instanceof ModuleFetchError, String(error));
    assert.match(error.detail, /169\.254\.169\.254 is a loopback, link-local or private address/);
  });

  it('refuses a redirect to a loopback range that is not the allowed one', async function () {
    const error = await attempt(`${base}/to-loopback-6`, LOOPBACK);
    assert.ok(error instanceof ModuleFetchError, String(error));
    assert.match(error.detail, /::1 is a loopback, link-local or private address/);
  });

  it('cuts a body larger than the cap off, with a clear error', async function () {
    const error = await attempt(`${base}/big-chunked`, { ...LOOPBACK, maxBytes: 1024 * 1024 });
    assert.ok(error instanceof ModuleTooLargeError, String(error));
    assert.equal(error.message, 'the module at spec.module.url is larger than 1048576 bytes');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(bytesSent < BIG, `the server sent all ${bytesSent} bytes: the body was not cut off`);
  });

  it('says neither the status code nor the digest it found in its messages', async function () {
    const missing = await attempt(`${base}/nothing`, LOOPBACK);
    assert.ok(missing instanceof ModuleFetchError, String(missing));
    assert.doesNotMatch(missing.message, /404|127\.0\.0\.1|\d{4,5}/);
    assert.match(missing.detail, /answered 404/);
    const wrong = await attempt(`${base}/module.wasm`, LOOPBACK, 'b'.repeat(64));
    assert.ok(wrong instanceof DigestMismatchError, String(wrong));
    assert.doesNotMatch(wrong.message, new RegExp(sha256Hex(MODULE)));
  });
});
