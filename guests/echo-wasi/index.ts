// echo-wasi: a WASI command (`abi: wasi-command`). It copies stdin (the request body) to
// stdout (the response) byte for byte; with `--show-env` among its args it then reports the
// args and env it was given, which is how tests see what a Faaslet spec grants.
// Built with @assemblyscript/wasi-shim, so it imports only wasi_snapshot_preview1.

// Large reads keep host calls few without holding the whole body in memory twice.
const CHUNK: i32 = 64 * 1024;
const NEWLINE: u8 = 0x0a;

function copyStdinToStdout(): u8 {
  const buffer = new ArrayBuffer(CHUNK);
  let last: u8 = NEWLINE;
  for (;;) {
    const n = process.stdin.read(buffer);
    if (n <= 0) break;
    process.stdout.write(n == CHUNK ? buffer : buffer.slice(0, n));
    last = load<u8>(changetype<usize>(buffer) + <usize>(n - 1));
  }
  return last;
}

function showEnv(): void {
  let args = 'args:';
  for (let i = 0; i < process.argv.length; i++) args += ' ' + process.argv[i];
  let env = 'env:';
  const names = process.env.keys();
  for (let i = 0; i < names.length; i++) {
    env += ' ' + names[i] + '=' + process.env.get(names[i]);
  }
  process.stdout.write(args + '\n' + env + '\n');
}

const last = copyStdinToStdout();
if (process.argv.includes('--show-env')) {
  // The report starts on a line of its own even when the body did not end with one.
  if (last != NEWLINE) process.stdout.write('\n');
  showEnv();
}
