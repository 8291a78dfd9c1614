import { randomFillSync } from 'node:crypto';
import { isMainThread } from 'node:worker_threads';
import type { InvocationContext } from './guest-imports.js';
import { YieldToWorker } from './worker-cache.js';

/** `proc_exit` unwinds the guest: 0 is a normal return (commit), any other code a failure. */
export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`exited with status ${code}`);
  }
}

// WASI preview 1 errno values (wasi_snapshot_preview1 witx).
const SUCCESS = 0;
const EBADF = 8;
const EINVAL = 28;
const ENOSYS = 52;
const ENOTSUP = 58;

/** Bytes of stdout + stderr one invocation may put in the pod log; more is dropped. */
export const MAX_STDIO_LOG_BYTES = 4096;
/** The longest a clock wait in `poll_oneoff` blocks a worker; the deadline is the real bound. */
const MAX_SLEEP_MS = 100;
const SUBSCRIPTION_BYTES = 48;
const EVENT_BYTES = 32;
const EVENTTYPE_CLOCK = 0;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** What the WASI imports need from the invocation that is running. */
export interface WasiHost {
  context(): InvocationContext;
  /** The guest's memory as bytes, bounds-checked (throws GuestFault). */
  bytes(ptr: number, len: number): Uint8Array;
  view(): DataView;
}

/** Writes NUL-terminated strings and their pointer table, as args_get/environ_get define. */
function writeStrings(host: WasiHost, strings: string[], ptrs: number, buf: number): number {
  let at = buf;
  strings.forEach((s, i) => {
    const bytes = encoder.encode(`${s}\0`);
    host.bytes(at, bytes.length).set(bytes);
    host.view().setUint32(ptrs + i * 4, at, true);
    at += bytes.length;
  });
  return SUCCESS;
}

function sizes(host: WasiHost, strings: string[], countPtr: number, sizePtr: number): number {
  const view = host.view();
  view.setUint32(countPtr, strings.length, true);
  const total = strings.reduce((n, s) => n + encoder.encode(s).length + 1, 0);
  view.setUint32(sizePtr, total, true);
  return SUCCESS;
}

function argsOf(ctx: InvocationContext): string[] {
  return [ctx.faaslet.name, ...ctx.faaslet.args];
}

function envOf(ctx: InvocationContext): string[] {
  return Object.entries(ctx.faaslet.env).map(([k, v]) => `${k}=${v}`);
}

function nowNs(clockId: number): bigint {
  // 0 realtime; 1 monotonic; 2/3 process/thread CPU time, which monotonic stands in for.
  return clockId === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
}

/** Guest stdout/stderr: to the pod log through the invocation's logs, capped per invocation. */
function stdio(host: WasiHost, fd: number, iovs: number, count: number): number {
  const ctx = host.context();
  const view = host.view();
  let written = 0;
  for (let i = 0; i < count; i++) {
    const ptr = view.getUint32(iovs + i * 8, true);
    const len = view.getUint32(iovs + i * 8 + 4, true);
    const room = MAX_STDIO_LOG_BYTES - ctx.stdioBytes;
    if (room > 0 && len > 0) {
      const message = decoder.decode(host.bytes(ptr, Math.min(len, room))).replace(/\n$/, '');
      if (message.length > 0)
        ctx.logs.push({ level: fd === 2 ? 2 : 1, faaslet: ctx.faaslet.name, message });
      ctx.stdioBytes += Math.min(len, room);
    } else {
      host.bytes(ptr, len); // still a bad pointer if it is one
    }
    written += len;
  }
  return written;
}

/** Clock subscriptions only: wait for the earliest (bounded), report every clock one due. */
function pollOneoff(
  host: WasiHost,
  inPtr: number,
  outPtr: number,
  n: number,
  neventsPtr: number,
): number {
  const view = host.view();
  host.bytes(inPtr, n * SUBSCRIPTION_BYTES);
  host.bytes(outPtr, n * EVENT_BYTES);
  let waitNs: bigint | undefined;
  for (let i = 0; i < n; i++) {
    const sub = inPtr + i * SUBSCRIPTION_BYTES;
    if (view.getUint8(sub + 8) !== EVENTTYPE_CLOCK) return ENOTSUP;
    const timeout = view.getBigUint64(sub + 24, true);
    const absolute = (view.getUint16(sub + 40, true) & 1) === 1;
    const clock = view.getUint32(sub + 16, true);
    const relative = absolute ? timeout - nowNs(clock) : timeout;
    if (waitNs === undefined || relative < waitNs) waitNs = relative;
  }
  if (waitNs !== undefined && waitNs > 0n) {
    // The main-thread fast lane must never block: a guest that waits runs again on a worker,
    // which may block (its deadline still holds).
    if (isMainThread) throw new YieldToWorker('clock wait');
    Atomics.wait(sleeper, 0, 0, Math.min(Number(waitNs / 1_000_000n), MAX_SLEEP_MS));
  }
  for (let i = 0; i < n; i++) {
    const event = outPtr + i * EVENT_BYTES;
    view.setBigUint64(event, view.getBigUint64(inPtr + i * SUBSCRIPTION_BYTES, true), true);
    view.setUint16(event + 8, SUCCESS, true);
    view.setUint8(event + 10, EVENTTYPE_CLOCK);
  }
  view.setUint32(neventsPtr, n, true);
  return SUCCESS;
}

/**
 * WASI preview 1 for `abi: glass` modules (Go, TinyGo, C, Rust reactors), deny by default
 * like `wasi-command`: args and env from the spec, clocks, random, stdout/stderr to the log,
 * and nothing else — no preopened directories (fd_prestat_get answers EBADF, so libc finds
 * none), no stdin, no sockets. Implemented here rather than through @wasmer/wasi, whose
 * per-instance set-up (~420 µs) would sit on the hot path.
 */
export function wasiPreview1(host: WasiHost): Record<string, (...a: never[]) => unknown> {
  const noFile = (): number => EBADF;
  return {
    args_get: (ptrs: number, buf: number) => writeStrings(host, argsOf(host.context()), ptrs, buf),
    args_sizes_get: (c: number, s: number) => sizes(host, argsOf(host.context()), c, s),
    environ_get: (ptrs: number, buf: number) =>
      writeStrings(host, envOf(host.context()), ptrs, buf),
    environ_sizes_get: (c: number, s: number) => sizes(host, envOf(host.context()), c, s),
    clock_res_get: (id: number, out: number) => {
      if (id < 0 || id > 3) return EINVAL;
      host.view().setBigUint64(out, 1000n, true);
      return SUCCESS;
    },
    clock_time_get: (id: number, _precision: bigint, out: number) => {
      if (id < 0 || id > 3) return EINVAL;
      host.view().setBigUint64(out, nowNs(id), true);
      return SUCCESS;
    },
    random_get: (ptr: number, len: number) => {
      randomFillSync(host.bytes(ptr, len));
      return SUCCESS;
    },
    fd_write: (fd: number, iovs: number, count: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) return EBADF;
      host.view().setUint32(nwritten, stdio(host, fd, iovs, count), true);
      return SUCCESS;
    },
    fd_fdstat_get: (fd: number, out: number) => {
      if (fd !== 1 && fd !== 2) return EBADF;
      host.bytes(out, 24).fill(0);
      host.view().setUint8(out, 2); // filetype: character device
      return SUCCESS;
    },
    fd_prestat_get: noFile,
    fd_prestat_dir_name: noFile,
    fd_read: noFile,
    fd_close: noFile,
    fd_seek: noFile,
    fd_fdstat_set_flags: noFile,
    fd_filestat_get: noFile,
    path_open: noFile,
    path_filestat_get: noFile,
    sock_accept: () => ENOSYS,
    sock_recv: () => ENOSYS,
    sock_send: () => ENOSYS,
    sock_shutdown: () => ENOSYS,
    sched_yield: () => SUCCESS,
    poll_oneoff: (i: number, o: number, n: number, ne: number) => pollOneoff(host, i, o, n, ne),
    proc_exit: (code: number): never => {
      throw new ProcExit(code);
    },
    proc_raise: () => ENOSYS,
  };
}

/** The WASI names the host provides to `abi: glass` modules, for checking modules at load. */
export const WASI_IMPORT_NAMES: ReadonlySet<string> = new Set(
  Object.keys(
    wasiPreview1({
      context: () => {
        throw new Error('unused');
      },
      bytes: () => new Uint8Array(0),
      view: () => new DataView(new ArrayBuffer(0)),
    }),
  ),
);
