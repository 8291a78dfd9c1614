// Which tier a namespace lives in. Fixed namespaces are looked up by name; keyed ones
// (`cart-{user}`) by the template a name fits, so no per-user entry is ever kept.
import type { Durability } from '@glass/crds';
import { matchesTemplate, type NamespaceTemplate } from '@glass/crds/namespace-template';

export class NamespaceDurability {
  private readonly fixed = new Map<string, Durability>();
  private readonly keyed = new Map<
    string,
    { template: NamespaceTemplate; durability: Durability }
  >();
  /** Whether any keyed template is global: without one, a keyed name is local at once. */
  private anyKeyedGlobal = false;

  /** Records a namespace template's durability (a Faaslet naming it was loaded). */
  assign(template: NamespaceTemplate, durability: Durability): void {
    if (template.placeholder === undefined) {
      this.fixed.set(template.text, durability);
      return;
    }
    this.keyed.set(template.text, { template, durability });
    this.anyKeyedGlobal = [...this.keyed.values()].some((k) => k.durability === 'global');
  }

  of(namespace: string): Durability {
    const fixed = this.fixed.get(namespace);
    if (fixed !== undefined || !this.anyKeyedGlobal) return fixed ?? 'local';
    for (const { template, durability } of this.keyed.values()) {
      if (matchesTemplate(template, namespace)) return durability;
    }
    return 'local';
  }
}
