import { call } from '../support/runtime-server.js';

export interface Sent {
  status: number;
  text: string;
  startedAt: number;
  endedAt: number;
}

/**
 * `connections` loops, each sending `path` again as soon as its answer is in, until
 * `stop()`: a steady load on loopback whose every answer is kept.
 */
export class SteadyLoad {
  readonly sent: Sent[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(base: string, path: string, connections: number) {
    this.loops = Array.from({ length: connections }, async () => {
      while (this.running) {
        const startedAt = performance.now();
        const answer = await call(base, 'GET', path).catch((error: unknown) => ({
          status: 0,
          text: (error as Error).message,
        }));
        this.sent.push({ ...answer, startedAt, endedAt: performance.now() });
      }
    });
  }

  /** Resolves once `count` more answers are in than when it was called. */
  async answers(count: number): Promise<void> {
    const target = this.sent.length + count;
    while (this.sent.length < target) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Answers to requests that were in flight at some time between `from` and `to`. */
  during(from: number, to: number): Sent[] {
    return this.sent.filter((s) => s.startedAt <= to && s.endedAt >= from);
  }

  async stop(): Promise<Sent[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.sent;
  }
}
