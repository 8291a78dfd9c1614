// A Faaslet's state namespace: a fixed name (`counter`), or a keyed one with one placeholder
// filled from each call (`cart-{user}`), so every user, session or path key gets a namespace
// of its own, with its own transaction scope and its own owner pod (docs/adr/0100).
// No zod here: guest worker threads import this file alone (`@glass/crds/namespace-template`).

/** Where a placeholder's value comes from in a call. */
export const PLACEHOLDERS = {
  /** The `X-User-ID` header. */
  user: 'the X-User-ID header',
  /** The `X-Session-ID` header, else the `session_id` cookie. */
  session: 'the X-Session-ID header or the session_id cookie',
  /** The last path segment of `/invoke/:faaslet/:export/:key`. */
  key: 'the path key (/invoke/<faaslet>/<export>/<key>)',
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

/**
 * A fixed namespace is a DNS label; a keyed one has exactly one `{user}`, `{session}` or
 * `{key}`, with DNS-label characters around it. The same pattern is the CRD's.
 */
export const NAMESPACE_TEMPLATE_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?|([a-z0-9][-a-z0-9]*)?\\{(user|session|key)\\}([-a-z0-9]*[a-z0-9])?)$';
const TEMPLATE = new RegExp(NAMESPACE_TEMPLATE_PATTERN);

/**
 * What a placeholder's value may be: letters, digits and `.`, `_`, `@`, `-`, starting with a
 * letter or digit. Never `/` (it splits a state key), `{` or `}` (a Redis hash tag), `:`.
 */
export const PLACEHOLDER_VALUE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** Any namespace a call can resolve to: a fixed one, or a template filled with a valid value. */
export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,254}$/;

/** A parsed template: `prefix{placeholder}suffix`, or a fixed name (no placeholder). */
export interface NamespaceTemplate {
  readonly text: string;
  readonly placeholder: Placeholder | undefined;
  readonly prefix: string;
  readonly suffix: string;
}

/** Parses a template that already passed the schema; throws on anything else. */
export function parseNamespaceTemplate(text: string): NamespaceTemplate {
  const match = TEMPLATE.exec(text);
  if (match === null) throw new Error(`invalid state namespace "${text}"`);
  const placeholder = match[4] as Placeholder | undefined;
  if (placeholder === undefined) return { text, placeholder, prefix: text, suffix: '' };
  const open = text.indexOf('{');
  return {
    text,
    placeholder,
    prefix: text.slice(0, open),
    suffix: text.slice(text.indexOf('}') + 1),
  };
}

/** Why a call's namespace could not be resolved: it says which value is missing or wrong. */
export class NamespaceValueError extends Error {}

/**
 * The namespace a call touches: the template itself when fixed, else the template with the
 * call's value for its placeholder. Throws NamespaceValueError naming the placeholder.
 */
export function resolveNamespace(
  template: NamespaceTemplate,
  value: (placeholder: Placeholder) => string | undefined,
): string {
  const { placeholder } = template;
  if (placeholder === undefined) return template.text;
  const filled = value(placeholder);
  if (filled === undefined || filled === '') {
    throw new NamespaceValueError(
      `state namespace ${template.text} needs {${placeholder}}: send ${PLACEHOLDERS[placeholder]}`,
    );
  }
  if (!PLACEHOLDER_VALUE.test(filled)) {
    throw new NamespaceValueError(
      `{${placeholder}} of state namespace ${template.text} must be 1-128 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`,
    );
  }
  return template.prefix + filled + template.suffix;
}

/** Whether two templates can resolve to the same namespace (then they must agree on durability). */
export function templatesOverlap(a: NamespaceTemplate, b: NamespaceTemplate): boolean {
  if (a.placeholder === undefined && b.placeholder === undefined) return a.text === b.text;
  if (a.placeholder === undefined) return matchesTemplate(b, a.text);
  if (b.placeholder === undefined) return matchesTemplate(a, b.text);
  // Both keyed: some value fits both when one's fixed parts can sit inside the other's.
  return (
    (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) &&
    (a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix))
  );
}

/** Whether `name` is what `template` resolves to for some valid value. */
export function matchesTemplate(template: NamespaceTemplate, name: string): boolean {
  if (template.placeholder === undefined) return name === template.text;
  const { prefix, suffix } = template;
  if (name.length <= prefix.length + suffix.length) return false;
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return false;
  return PLACEHOLDER_VALUE.test(name.slice(prefix.length, name.length - suffix.length));
}
