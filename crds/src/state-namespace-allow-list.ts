// Which state namespaces a GlassCluster's Faaslets may name (docs/adr/0129). Two Faaslets
// that name the same state namespace share its keys (DESIGN.md), so without a limit anyone who
// may create a Faaslet in the namespace can read and write every other Faaslet's state there.
import { z } from 'zod';

/** A pattern: DNS-label characters and `*`, which stands for any run of them (or none). */
export const STATE_NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$/;

export const StateNamespacePattern = z
  .string()
  .regex(
    STATE_NAMESPACE_PATTERN,
    'a pattern is lower-case letters, digits, - and *, at most 63 characters, like team-a-*',
  );

/** Stands for a template's placeholder: no pattern character can match it, only `*`. */
const PLACEHOLDER = '\u0000';

function patternRegex(pattern: string): RegExp {
  const parts = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^]*')}$`);
}

/**
 * Whether a Faaslet's state namespace template (`counter`, `cart-{user}`) is allowed by the
 * patterns: a literal character of the template matches itself, and its placeholder only a `*`,
 * so every namespace the template can resolve to matches the same pattern. No list (absent)
 * allows every namespace; an empty list allows none.
 */
export function stateNamespaceAllowed(
  template: string,
  patterns: readonly string[] | undefined,
): boolean {
  if (patterns === undefined) return true;
  const text = template.replace(/\{[a-z]+\}/g, PLACEHOLDER);
  return patterns.some((pattern) => patternRegex(pattern).test(text));
}
