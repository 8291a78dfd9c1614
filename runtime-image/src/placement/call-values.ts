// The values a call fills a keyed namespace with (`cart-{user}`), read the same way by the
// router and the runtime pods, so both compute the same namespace and so the same owner.
import type { IncomingHttpHeaders } from 'node:http';
import {
  resolveNamespace,
  type NamespaceTemplate,
  type Placeholder,
} from '@glass/crds/namespace-template';
import type { CallValues } from '../host/protocol.js';

/** A header's first value, trimmed; undefined when absent or empty. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value === '' ? undefined : value;
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers.cookie;
  if (raw === undefined) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    const value = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    return value === '' ? undefined : value;
  }
  return undefined;
}

/** What a call offers for placeholders: its headers and the key in its path, if any. */
export interface CallSource {
  headers: IncomingHttpHeaders;
  /** The third segment of `/invoke/:faaslet/:export/:key`, decoded. */
  pathKey: string | undefined;
}

export function callValue(source: CallSource, placeholder: Placeholder): string | undefined {
  switch (placeholder) {
    case 'user':
      return header(source.headers, 'x-user-id');
    case 'session':
      return header(source.headers, 'x-session-id') ?? cookie(source.headers, 'session_id');
    case 'key':
      return source.pathKey;
  }
}

/** A call's namespace and the values it was filled with (none for a fixed namespace). */
export interface CallNamespace {
  namespace: string;
  values: CallValues | undefined;
}

/**
 * The namespace a call to a Faaslet with this template touches. Throws NamespaceValueError
 * (a 400) naming the placeholder when the call lacks its value or the value is not allowed.
 */
export function callNamespace(template: NamespaceTemplate, source: CallSource): CallNamespace {
  const { placeholder } = template;
  if (placeholder === undefined) return { namespace: template.text, values: undefined };
  const value = callValue(source, placeholder);
  const namespace = resolveNamespace(template, () => value);
  return { namespace, values: { [placeholder]: value } };
}
