// Steady load for failover tests: a few loops, each sending one request after another.
import { Pool } from 'undici';

export interface Sample {
  /** When the request was sent: routing decisions are made after this. */
  sent: number;
  /** When its answer (or error) came back. */
  at: number;
  user: string;
  status: number;
  pod: string | undefined;
}

export interface Load {
  samples: Sample[];
  /** Resolves once `count` more answers have come back (or fails after `timeoutMs`). */
  answers(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `loops` concurrent loops sending `path` with X-User-ID cycling over `users`. */
export function steadyLoad(url: string, users: readonly string[], path: string, loops = 6): Load {
  const pool = new Pool(url, { connections: loops });
  const samples: Sample[] = [];
  let running = true;
  let next = 0;
  const waiters: { until: number; resolve: () => void }[] = [];
  const loop = async (): Promise<void> => {
    while (running) {
      const user = users[next++ % users.length] ?? '';
      const sent = Date.now();
      let sample: Sample;
      try {
        const res = await pool.request({ method: 'GET', path, headers: { 'x-user-id': user } });
        await res.body.dump();
        const pod = res.headers['x-glass-pod'];
        sample = {
          sent,
          at: Date.now(),
          user,
          status: res.statusCode,
          pod: typeof pod === 'string' ? pod : undefined,
        };
      } catch {
        sample = { sent, at: Date.now(), user, status: 0, pod: undefined };
      }
      samples.push(sample);
      for (const w of waiters.filter((w) => samples.length >= w.until)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  const loopsDone = Promise.all(Array.from({ length: loops }, loop));
  return {
    samples,
    answers: (count, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no ${count} answers within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({
          until: samples.length + count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    stop: async () => {
      running = false;
      await loopsDone;
      await pool.close();
    },
  };
}

/** Users whose owner on `owner` is each pod: `perPod` of each, by scanning `user-N`. */
export function usersByOwner(
  owner: (key: string) => string | undefined,
  pods: readonly string[],
  perPod: number,
): Map<string, string[]> {
  const byPod = new Map<string, string[]>(pods.map((p) => [p, []]));
  for (let i = 0; i < 100_000 && [...byPod.values()].some((u) => u.length < perPod); i++) {
    const user = `user-${i}`;
    const list = byPod.get(owner(user) ?? '');
    if (list && list.length < perPod) list.push(user);
  }
  return byPod;
}
