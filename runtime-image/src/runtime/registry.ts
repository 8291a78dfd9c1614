import { templatesOverlap, type NamespaceTemplate } from '@glass/crds/namespace-template';
import type { ExportSignature, FaasletDefinition } from '../host/protocol.js';
import { badRequest, notFound } from './errors.js';

export interface ResolvedExport {
  definition: FaasletDefinition;
  signature: ExportSignature;
}

/** The Faaslets a runtime pod serves, by name, and the lookups the HTTP routes need. */
export class FaasletRegistry {
  private readonly byName = new Map<string, FaasletDefinition>();

  set(definition: FaasletDefinition): void {
    this.byName.set(definition.name, definition);
  }

  delete(name: string): void {
    this.byName.delete(name);
  }

  get(name: string): FaasletDefinition | undefined {
    return this.byName.get(name);
  }

  all(): FaasletDefinition[] {
    return [...this.byName.values()];
  }

  /**
   * Another Faaslet than `except` whose namespace template can name the same namespace as
   * `template`, so two Faaslets cannot disagree on its durability (a Faaslet being replaced
   * does not count against itself).
   */
  overlapping(template: NamespaceTemplate, except?: string): FaasletDefinition | undefined {
    return this.all().find((d) => d.name !== except && templatesOverlap(d.namespace, template));
  }

  /**
   * The same export on the Faaslet's current revision: a request resolved just before a swap
   * but not started yet runs the new module (404 if the Faaslet or export is gone).
   */
  current(target: ResolvedExport): ResolvedExport {
    const { definition, signature } = target;
    if (this.byName.get(definition.name) === definition) return target;
    return this.resolve(definition.name, signature.name);
  }

  resolve(faaslet: string, exportName: string): ResolvedExport {
    const definition = this.byName.get(faaslet);
    if (!definition) throw notFound(`no Faaslet named ${faaslet}`);
    const signature = definition.exports.find((e) => e.name === exportName);
    if (!signature) {
      const known = definition.exports.map((e) => e.name).join(', ');
      throw notFound(`Faaslet ${faaslet} has no export ${exportName} (exports: ${known})`);
    }
    return { definition, signature };
  }

  /** The classic `GET /invoke/:export`: the one Faaslet exporting that name. */
  resolveExportOnly(exportName: string): ResolvedExport {
    const candidates = this.all().filter((d) => d.exports.some((e) => e.name === exportName));
    const [only] = candidates;
    if (!only) throw notFound(`no loaded Faaslet exports ${exportName}`);
    if (candidates.length > 1) {
      const names = candidates.map((d) => d.name).join(', ');
      throw badRequest(
        `export ${exportName} is ambiguous: Faaslets ${names} all export it; call /invoke/<faaslet>/${exportName}`,
      );
    }
    return this.resolve(only.name, exportName);
  }
}
