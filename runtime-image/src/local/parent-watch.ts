// Preloaded (`node --import`) into every runtime `glass up` starts: when the parent goes
// away, however it went (even kill -9), the IPC channel closes and the child stops too, so a
// dead `glass up` leaves no orphans. The child drains as on SIGTERM; if that has not ended
// it after a grace period, it SIGKILLs itself (a signal, unlike process.exit, cannot be held
// up by a worker thread that will not stop).
const GRACE_MS = 3000;

if (process.channel !== undefined) {
  // The channel must not keep the runtime alive by itself, only tell it when the parent died.
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), GRACE_MS).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
