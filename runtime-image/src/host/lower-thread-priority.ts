import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness of guest worker threads: below the HTTP thread, above nothing else in particular. */
const GUEST_THREAD_NICENESS = 10;

/**
 * Lowers the priority of the calling thread only (Linux applies `setpriority` to a thread id
 * alone). Guest workers call it, so a guest burning its whole timeout on a worker cannot take
 * the CPU from the HTTP thread, which answers /health, runs the fast lane, commits, and fires
 * the very timer that stops that guest. Best effort: elsewhere it does nothing.
 */
export function lowerThisThreadsPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, GUEST_THREAD_NICENESS);
  } catch {
    // No /proc/thread-self (not Linux) or not permitted: the worker runs at normal priority.
  }
}
