/** One benchmark figure: a measured value beside a baseline measured in the same run. */
export interface BenchRow {
  /** What was measured, e.g. "instance acquire vs new WebAssembly.Instance". */
  name: string;
  value: number;
  baseline: number | undefined;
  unit: string;
  /** value / baseline; undefined for absolute figures (counts, RSS). */
  ratio: number | undefined;
  /** The goal as text, e.g. "<= 1.5x", and whether this run met it. */
  goal: string | undefined;
  met: boolean | undefined;
}

export interface BenchSuite {
  title: string;
  run(): Promise<BenchRow[]>;
}

export function row(fields: Omit<BenchRow, 'ratio' | 'met'> & { met?: boolean }): BenchRow {
  const ratio = fields.baseline === undefined ? undefined : fields.value / fields.baseline;
  return { ...fields, ratio, met: fields.met };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) throw new Error('median of nothing');
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function format(value: number | undefined, digits = 2): string {
  if (value === undefined) return '';
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(digits);
}

export function printTable(rows: BenchRow[]): void {
  const lines = rows.map((r) => [
    r.name,
    `${format(r.value)} ${r.unit}`,
    r.baseline === undefined ? '' : `${format(r.baseline)} ${r.unit}`,
    r.ratio === undefined ? '' : `${format(r.ratio)}x`,
    r.goal ?? '',
    r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
  ]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  for (const line of [header, ...lines]) {
    console.log(line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  }
}

/**
 * Runs `a` and `b` for `rounds` rounds, alternating which goes first so neither always meets
 * the warmer machine or a freshly collected heap; the medians of both.
 */
export async function interleaved(
  rounds: number,
  a: (round: number) => Promise<number>,
  b: (round: number) => Promise<number>,
): Promise<[number, number]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      as.push(await a(round));
      bs.push(await b(round));
    } else {
      bs.push(await b(round));
      as.push(await a(round));
    }
  }
  return [median(as), median(bs)];
}
