import { strict as assert } from 'node:assert';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  errorOf,
  SAMPLES,
  startRuntime,
  type TestRuntime,
} from '../support/runtime-server.js';
import { watToWasm } from '../support/wat.js';

const WASI = 'wasi_snapshot_preview1';

/**
 * A reactor in the shape Go, C and Rust produce: WASI imports, `_initialize` (counts its runs
 * in state key "inits", so a test sees it ran once per instance), and exports that use each
 * WASI call a guest may make, plus misbehaving ones.
 */
const REACTOR_WAT = `
(module
  (import "${WASI}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "${WASI}" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "${WASI}" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "${WASI}" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "${WASI}" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "${WASI}" "sched_yield" (func $sched_yield (result i32)))
  (import "${WASI}" "proc_exit" (func $proc_exit (param i32)))
  (import "glass" "state_increment" (func $incr (param i32 i32 i64) (result i64)))
  (import "glass" "output_write" (func $out (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "inits")
  (data (i32.const 32) "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
  (global $initialised (mut i32) (i32.const 0))

  (func (export "_initialize")
    (drop (call $incr (i32.const 16) (i32.const 5) (i64.const 1)))
    (global.set $initialised (i32.const 1)))

  (func (export "initialised") (result i32) (global.get $initialised))

  ;; writes argv then environ (NUL-separated) as the output
  (func (export "argv_env")
    (local $size i32)
    (drop (call $args_sizes_get (i32.const 1000) (i32.const 1004)))
    (drop (call $args_get (i32.const 1100) (i32.const 2000)))
    (call $out (i32.const 2000) (i32.load (i32.const 1004)))
    (drop (call $environ_sizes_get (i32.const 1000) (i32.const 1004)))
    (drop (call $environ_get (i32.const 1100) (i32.const 3000)))
    (call $out (i32.const 3000) (i32.load (i32.const 1004))))

  ;; sleeps ms milliseconds through poll_oneoff (relative clock), answers the ms that passed
  (func (export "sleep") (param $ms i64) (result i64)
    (local $before i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 1000)))
    (local.set $before (i64.load (i32.const 1000)))
    (i64.store (i32.const 4096) (i64.const 7))
    (i32.store8 (i32.const 4104) (i32.const 0))
    (i32.store (i32.const 4112) (i32.const 1))
    (i64.store (i32.const 4120) (i64.mul (local.get $ms) (i64.const 1000000)))
    (i32.store16 (i32.const 4136) (i32.const 0))
    (drop (call $sched_yield))
    (drop (call $poll_oneoff (i32.const 4096) (i32.const 5000) (i32.const 1) (i32.const 1000)))
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 1000)))
    (i64.div_u (i64.sub (i64.load (i32.const 1000)) (local.get $before)) (i64.const 1000000)))

  ;; a subscription that is not a clock (fd_read): answers poll_oneoff's errno
  (func (export "poll_fd") (result i32)
    (i32.store8 (i32.const 4104) (i32.const 1))
    (call $poll_oneoff (i32.const 4096) (i32.const 5000) (i32.const 1) (i32.const 1000)))

  ;; fd 3 is not open (no preopens): answers fd_prestat_get's errno
  (func (export "prestat") (result i32)
    (call $fd_prestat_get (i32.const 3) (i32.const 1000)))

  ;; n writes of 64 bytes to stdout
  (func (export "shout") (param $n i32) (result i32)
    (i32.store (i32.const 1200) (i32.const 32))
    (i32.store (i32.const 1204) (i32.const 64))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (drop (call $fd_write (i32.const 1) (i32.const 1200) (i32.const 1) (i32.const 1208)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (i32.const 0))

  ;; an iovec pointing outside memory: a guest fault (500), not a host crash
  (func (export "bad_iovec") (result i32)
    (i32.store (i32.const 1200) (i32.const 0x7ffffff0))
    (i32.store (i32.const 1204) (i32.const 64))
    (call $fd_write (i32.const 1) (i32.const 1200) (i32.const 1) (i32.const 1208)))

  (func (export "exit_with") (param $code i32) (result i32)
    (call $proc_exit (local.get $code))
    (i32.const 0))

  (func (export "spin") (loop $forever (drop (call $sched_yield)) (br $forever)))

  (func (export "bomb")
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable))
`;

async function reactorDir(): Promise<string> {
  const wasm = await watToWasm('reactor.wat', REACTOR_WAT);
  const dir = await mkdtemp(join(tmpdir(), 'glass-reactor-'));
  const yaml = `apiVersion: glass.dev/v1alpha1
kind: Faaslet
metadata: {name: reactor}
spec:
  cluster: glass
  module: {inline: ${Buffer.from(wasm).toString('base64')}}
  abi: glass
  args: [--verbose]
  env: [{name: GREETING, value: hello}]
  limits: {timeout: 1s, memory: 16Mi}
  state: {durability: local}
`;
  await writeFile(join(dir, 'reactor.yaml'), yaml);
  return dir;
}

describe('WASI reactors and the prototype ABI in abi: glass modules', function () {
  let rt: TestRuntime;

  before(async function () {
    rt = await startRuntime([join(SAMPLES, '../prototype/prototype.yaml'), await reactorDir()]);
  });
  after(async function () {
    await rt.close();
  });

  const post = (path: string, body?: string) => call(rt.base, 'POST', `/invoke/${path}`, body);
  const stateOf = async (ns: string, key: string): Promise<string> =>
    (await call(rt.base, 'GET', `/state/${ns}/${key}`)).text;

  it('answers the classic add?value=10 twice on the prototype-shaped module with 10, then 20', async function () {
    const first = await call(rt.base, 'GET', '/invoke/add?value=10');
    const second = await call(rt.base, 'GET', '/invoke/add?value=10');
    assert.deepEqual(
      [first.status, first.text, second.status, second.text],
      [200, '10', 200, '20'],
    );
    assert.equal(await stateOf('prototype', 'counter'), '20');
  });

  it('gives 0 to the parameters a numeric call leaves out, and still refuses too many', async function () {
    assert.equal((await post('prototype/add', '1 2')).text, '23');
    const tooMany = await post('prototype/add', '1 2 3');
    assert.equal(tooMany.status, 400);
    assert.match(errorOf(tooMany).message, /takes 2 numeric argument/);
    assert.equal((await post('prototype/add', '0')).text, '23');
  });

  it('stores prototype numbers as the decimal text state_increment uses, and traps on text that is no number', async function () {
    await call(rt.base, 'PUT', '/state/prototype/counter', '-5');
    assert.equal((await post('prototype/add', '1')).text, '-4');
    await call(rt.base, 'PUT', '/state/prototype/counter', 'many');
    const bad = await post('prototype/add', '1');
    assert.equal(bad.status, 500);
    assert.match(errorOf(bad).message, /not an integer/);
    await call(rt.base, 'PUT', '/state/prototype/counter', '0');
    assert.equal((await post('prototype/add', '2')).text, '2');
  });

  it('commits an invocation that ends with proc_exit(0), and discards one that exits non-zero, naming the code', async function () {
    await call(rt.base, 'PUT', '/state/prototype/counter', '100');
    const exited = await post('prototype/add_then_exit', '5');
    assert.equal(exited.status, 200);
    assert.equal(await stateOf('prototype', 'counter'), '105');
    const failed = await post('prototype/add_then_fail', '50 7');
    assert.equal(failed.status, 500);
    assert.equal(errorOf(failed).code, 'guest_exit');
    assert.match(errorOf(failed).message, /exited with status 7/);
    assert.equal(await stateOf('prototype', 'counter'), '105');
    assert.equal((await post('prototype/add', '1')).text, '106');
  });

  it("runs a reactor's _initialize once per instance, before its first call, and pools the instance", async function () {
    for (let i = 0; i < 20; i++) assert.equal((await post('reactor/initialised')).text, '1');
    const inits = Number(await stateOf('reactor', 'inits'));
    // Two workers and the fast lane may each create an instance; twenty calls do not make twenty.
    assert.ok(inits >= 1 && inits <= 4, `_initialize ran ${inits} times for 20 calls`);
  });

  it('gives args and env from the spec only', async function () {
    const answer = await post('reactor/argv_env');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, 'reactor\0--verbose\0GREETING=hello\0');
  });

  it('waits on a clock through poll_oneoff, and refuses subscriptions that are not clocks', async function () {
    const slept = Number((await post('reactor/sleep', '30')).text);
    assert.ok(slept >= 29 && slept < 500, `slept ${slept} ms`);
    assert.equal((await post('reactor/poll_fd')).text, '58'); // ENOTSUP
  });

  it('opens no preopened directory', async function () {
    assert.equal((await post('reactor/prestat')).text, '8'); // EBADF
  });

  it('logs stdout capped per invocation and keeps answering', async function () {
    const answer = await post('reactor/shout', '10000');
    assert.equal(answer.status, 200);
    assert.equal((await post('reactor/initialised')).text, '1');
  });

  it('answers a WASI call with a pointer outside memory with 500, and keeps serving', async function () {
    const answer = await post('reactor/bad_iovec');
    assert.equal(answer.status, 500);
    assert.match(errorOf(answer).message, /out of bounds/);
    assert.equal((await post('reactor/initialised')).text, '1');
  });

  it('answers proc_exit with a non-zero code as a failure naming it', async function () {
    const answer = await post('reactor/exit_with', '3');
    assert.equal(answer.status, 500);
    assert.match(errorOf(answer).message, /exited with status 3/);
    assert.equal((await post('reactor/exit_with', '0')).status, 200);
  });

  it('stops a WASI reactor that loops forever with 504 within its timeout + 100 ms, while others are answered', async function () {
    const spinning = post('reactor/spin');
    const other = await call(rt.base, 'GET', '/invoke/add?value=0');
    assert.equal(other.status, 200);
    const spin = await spinning;
    assert.equal(spin.status, 504);
    assert.ok(spin.ms >= 1000 && spin.ms <= 1100, `answered after ${spin.ms.toFixed(0)} ms`);
    assert.equal((await post('reactor/initialised')).text, '1');
  });

  it("answers a WASI reactor's memory bomb with 500 naming the memory limit", async function () {
    const bomb = await post('reactor/bomb');
    assert.equal(bomb.status, 500);
    assert.match(errorOf(bomb).message, /memory limit of 16 MiB/);
    assert.equal((await post('reactor/initialised')).text, '1');
  });
});
