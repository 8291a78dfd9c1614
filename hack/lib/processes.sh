# shellcheck shell=bash
# PID bookkeeping shared by hack/control-plane.sh and hack/cluster.sh: start a component
# detached with its PID recorded, find it alive and ours, and stop exactly that process, so
# `down` never signals a reused PID. Sourced, not run.

# proc_live_pid PIDFILE MARK...: the recorded PID if that process is alive, not a zombie, and
# really ours: its command line names one of the MARKs (a state dir).
proc_live_pid() {
  local f=$1 pid state cmd mark
  shift
  [[ -f "$f" ]] || return 1
  pid=$(<"$f")
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/stat" ]] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ "$state" != Z ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  for mark in "$@"; do
    if [[ "$cmd" == *"$mark"* ]]; then
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}

# proc_start PIDFILE LOGFILE CMD...: CMD detached in its own session (the caller's Ctrl-C or
# exit does not take it down), its output appended to LOGFILE; the process writes its own PID
# before exec. Returns 1 when no PID was recorded within 5 s.
proc_start() {
  local pf=$1 log=$2 i
  shift 2
  rm -f "$pf"
  # shellcheck disable=SC2016 # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pf" "$@" </dev/null >>"$log" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    [[ -s "$pf" ]] && return 0
    sleep 0.05
  done
  return 1
}

# proc_stop WHO NAME PIDFILE MARK...: SIGTERM to the recorded PID if it is ours, up to 20 s,
# then SIGKILL (said on stderr as "WHO: ..."); the PID file goes either way.
proc_stop() {
  local who=$1 name=$2 pf=$3 pid i
  shift 3
  pid=$(proc_live_pid "$pf" "$@") || {
    rm -f "$pf"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 200; i++)); do
    proc_live_pid "$pf" "$@" >/dev/null || break
    sleep 0.1
  done
  if proc_live_pid "$pf" "$@" >/dev/null; then
    printf '%s: %s (pid %s) did not stop on SIGTERM in 20 s; sending SIGKILL\n' "$who" "$name" "$pid" >&2
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      proc_live_pid "$pf" "$@" >/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$pf"
}
