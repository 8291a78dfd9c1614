// The Debian programs the router suite measures against (ADR 24): a figure is only worth
// something beside its anchor, so a missing one fails the suite instead of dropping rows.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian installs haproxy and nginx in /usr/sbin, which a non-root PATH often leaves out. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of each program, in order; throws naming the apt-get line when any is missing. */
export function requireTools<const T extends readonly string[]>(
  names: T,
): Record<T[number], string> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN];
  const found: Partial<Record<string, string>> = {};
  const missing: string[] = [];
  for (const name of names) {
    const path = dirs.map((dir) => join(dir, name)).find(executable);
    if (path === undefined) missing.push(name);
    else found[name] = path;
  }
  if (missing.length > 0) {
    throw new Error(
      `the router suite needs ${missing.join(', ')}: run 'apt-get install ${names.join(' ')}' (or hack/setup.sh)`,
    );
  }
  return found as Record<T[number], string>;
}
