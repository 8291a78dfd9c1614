// One HTTP call with a deadline, answered as status, headers and text; a call that never got an
// answer (refused, reset, timed out) is status 0 with the reason as its text.
export interface Answer {
  status: number;
  pod: string | undefined;
  text: string;
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export async function call(url: string, options: CallOptions = {}): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    return { status: response.status, pod: response.headers.get('x-glass-pod') ?? undefined, text };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { status: 0, pod: undefined, text: cause ?? (error as Error).message };
  }
}

/** "GET /x → 503 {…}": how a wrong answer is shown in a failure. */
export const describeAnswer = (what: string, answer: Answer): string =>
  `${what} → ${answer.status} ${answer.text.slice(0, 200)}`;
