// What `glass up` serves by default and the curl lines it prints (each one tried first).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

/**
 * The top-level YAML files of crds/samples/ (its fixtures/ folder holds misbehaving modules
 * for tests, not samples), looked for next to this installation, then under `cwd`.
 */
export function defaultFaasletPaths(cwd: string): string[] {
  const installed = fileURLToPath(new URL('../../../../crds/samples/', import.meta.url));
  for (const dir of [installed, resolve(cwd, 'crds', 'samples')]) {
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
    if (files.length > 0) return files;
  }
  throw new Error(
    'no Faaslets to serve: crds/samples/ has no YAML (run `npm run build`, which generates the samples) or pass --faaslets',
  );
}

export interface TryLine {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * For a line that changes state in a way a retry would show (an increment): the read-only
   * call tried in its place, and what to print instead of its answer, so trying it does not
   * spend the user's first call.
   */
  probe?: { path: string; says: string };
}

/**
 * Calls of the sample Faaslets; only those that work on this cluster get printed. The kv pair
 * shares an X-User-ID, so the get reads the put back from the same runtime's local tier.
 */
export const SAMPLE_LINES: readonly TryLine[] = [
  {
    method: 'GET',
    path: '/invoke/add?value=10',
    probe: { path: '/invoke/counter/get', says: '10, then 20, ...' },
  },
  {
    method: 'POST',
    path: '/invoke/kv/put',
    headers: { 'X-User-ID': 'alice' },
    body: '{"key":"greeting","value":"hello"}',
  },
  {
    method: 'POST',
    path: '/invoke/kv/get',
    headers: { 'X-User-ID': 'alice' },
    body: '{"key":"greeting"}',
  },
  { method: 'POST', path: '/invoke/echo-wasi/_start', body: 'hello from glass' },
  { method: 'GET', path: '/lb/status' },
];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell line for `line` against `base` (e.g. `localhost:8080`). */
export function curlLine(base: string, line: TryLine): string {
  const parts = ['curl'];
  if (line.method !== 'GET') parts.push('-X', line.method);
  for (const [name, value] of Object.entries(line.headers ?? {}))
    parts.push('-H', quote(`${name}: ${value}`));
  if (line.body !== undefined) parts.push('-d', quote(line.body));
  const url = `${base}${line.path}`;
  parts.push(/[?&]/.test(url) ? quote(url) : url);
  return parts.join(' ');
}

export interface TriedLine {
  line: TryLine;
  status: number;
  answer: string;
}

/** Sends each line through the router at `url`, in order; keeps those answered with 2xx. */
export async function workingLines(url: string, lines: readonly TryLine[]): Promise<TriedLine[]> {
  const working: TriedLine[] = [];
  for (const line of lines) {
    try {
      const res = await request(`${url}${line.probe?.path ?? line.path}`, {
        method: line.probe ? 'GET' : line.method,
        headers: line.headers ?? {},
        body: line.body ?? null,
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      const answer = line.probe?.says ?? (await res.body.text()).trim();
      if (line.probe) await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300)
        working.push({ line, status: res.statusCode, answer });
    } catch {
      // not working here: not printed
    }
  }
  return working;
}
