// What the router knows of the Faaslets it routes to: enough to tell, from a request alone,
// which namespace the call will touch (ADR 0101). It resolves paths with the runtime's rules
// (`/invoke/:faaslet/:export[/:key]`, and `/invoke/:export` naming the one Faaslet exporting
// it), so it and the pods pick the same namespace, and so the same owner.
import type { IncomingHttpHeaders } from 'node:http';
import { NamespaceValueError, type NamespaceTemplate } from '@glass/crds/namespace-template';
import { callNamespace } from './call-values.js';

export interface PlacedFaaslet {
  name: string;
  exports: readonly string[];
  namespace: NamespaceTemplate;
  /** False: its calls touch no state, and are placed by routing key with bounded load. */
  touchesState: boolean;
}

const INVOKE_PATH = /^\/invoke\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/;

function decoded(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export class FaasletCatalog {
  private readonly byName = new Map<string, PlacedFaaslet>();
  /** Export name → the Faaslets exporting it, for the classic `/invoke/:export`. */
  private byExport = new Map<string, PlacedFaaslet[]>();

  set(faaslet: PlacedFaaslet): void {
    this.byName.set(faaslet.name, faaslet);
    this.reindex();
  }

  delete(name: string): void {
    if (this.byName.delete(name)) this.reindex();
  }

  /** Replaces every Faaslet at once. */
  replaceAll(faaslets: readonly PlacedFaaslet[]): void {
    this.byName.clear();
    for (const f of faaslets) this.byName.set(f.name, f);
    this.reindex();
  }

  all(): PlacedFaaslet[] {
    return [...this.byName.values()];
  }

  /**
   * The namespace a call to `path` touches, or undefined when it touches none, or when the
   * router cannot tell (unknown Faaslet, ambiguous export, missing placeholder value): then
   * the call is placed by routing key, and the pod answers the 404/400 or forwards it.
   */
  namespaceOf(method: string, path: string, headers: IncomingHttpHeaders): string | undefined {
    const match = INVOKE_PATH.exec(path);
    if (match === null) return undefined;
    const [, first = '', second, key] = match;
    const faaslet = this.target(method, first, second);
    if (faaslet === undefined || !faaslet.touchesState) return undefined;
    const pathKey = key === undefined ? undefined : decoded(key);
    try {
      return callNamespace(faaslet.namespace, { headers, pathKey }).namespace;
    } catch (error) {
      if (error instanceof NamespaceValueError) return undefined;
      throw error;
    }
  }

  private target(method: string, first: string, second: string | undefined) {
    const name = decoded(first);
    if (name === undefined) return undefined;
    if (second !== undefined) return this.byName.get(name);
    if (method !== 'GET') return undefined;
    const candidates = this.byExport.get(name);
    return candidates?.length === 1 ? candidates[0] : undefined;
  }

  private reindex(): void {
    const byExport = new Map<string, PlacedFaaslet[]>();
    for (const faaslet of this.byName.values()) {
      for (const name of faaslet.exports)
        byExport.set(name, [...(byExport.get(name) ?? []), faaslet]);
    }
    this.byExport = byExport;
  }
}
