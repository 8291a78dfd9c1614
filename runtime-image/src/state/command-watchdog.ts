/** Ticks per timeout: an overdue command is noticed between 1 and 1.25 timeouts after it left. */
const TICKS = 4;

/**
 * Notices a command Redis has not answered within `timeoutMs`, with one timer for the whole
 * connection. ioredis's own `commandTimeout` arms and clears a timer for every command, which
 * cost ~2 µs of a ~25 µs commit (ADR 47). One connection answers in the order commands were
 * sent, so counting is enough: if fewer commands have been answered than had been sent
 * `timeoutMs` ago, the oldest of those is overdue.
 */
export class CommandWatchdog {
  private sentCount = 0;
  private answeredCount = 0;
  /** `sentCount` at each of the last ticks, oldest first. */
  private readonly marks: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** `sentCount` when it last reported: those commands are being dealt with. */
  private reportedUpTo = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly onOverdue: () => void,
  ) {}

  /** A command leaves now. Every one must be `answered()`, whether it succeeds or fails. */
  sent(): void {
    this.sentCount++;
    if (this.timer === undefined) {
      this.timer = setInterval(
        () => {
          this.tick();
        },
        Math.max(1, Math.floor(this.timeoutMs / TICKS)),
      );
      this.timer.unref();
    }
  }

  /** A command's reply (or its failure) is in. */
  answered(): void {
    this.answeredCount++;
  }

  /** Whether its timer runs: only while commands are in flight. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.marks.length = 0;
  }

  private tick(): void {
    // Idle: no timer runs on a pod that sends nothing; the next command starts it again.
    if (this.answeredCount === this.sentCount) {
      this.stop();
      return;
    }
    this.marks.push(this.sentCount);
    if (this.marks.length <= TICKS) return;
    const sentATimeoutAgo = this.marks.shift() ?? 0;
    if (this.answeredCount < sentATimeoutAgo && sentATimeoutAgo > this.reportedUpTo) {
      // Whatever the connection does next answers (or fails) every command now in flight;
      // only a command sent after this report can be reported again.
      this.reportedUpTo = this.sentCount;
      this.onOverdue();
    }
  }
}
