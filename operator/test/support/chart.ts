// What the chart tests share: helm and kubectl against the real control plane, rendered
// manifests parsed as kubectl reads them, and the operator's permissions written out.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, run, type ControlPlane, type Run } from './control-plane.js';

export const CHART = join(REPO_ROOT, 'charts', 'glass');
export const CI_DIR = join(CHART, 'ci');
export const CRD_FILES = ['faaslets.glass.dev.yaml', 'glassclusters.glass.dev.yaml'];
export const RELEASE = 'glass';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

function perms(group: string, resources: string[], verbs: string[]): string[] {
  return resources.flatMap((r) => verbs.map((v) => `${group}/${r} ${v}`));
}

/**
 * What operator/src does (ADR 7, ADR 61), one "group/resource[:name] verb" per permission.
 * Server-side apply of an object that does not exist yet is authorized as create as well.
 */
export const OPERATOR_CLUSTER_PERMISSIONS = [
  ...perms('glass.dev', ['faaslets', 'glassclusters'], ['get', 'list', 'watch']),
  ...perms('glass.dev', ['faaslets/status', 'glassclusters/status'], ['patch']),
  ...perms('glass.dev', ['glassclusters/finalizers'], ['update']),
  ...perms('', ['configmaps'], ['get', 'list', 'watch']),
  ...perms('', ['services', 'serviceaccounts'], ['list', 'watch', 'create', 'patch', 'delete']),
  ...perms('apps', ['deployments'], ['list', 'watch', 'create', 'patch', 'delete']),
  ...perms(
    'rbac.authorization.k8s.io',
    ['roles', 'rolebindings'],
    ['list', 'watch', 'create', 'patch', 'delete'],
  ),
  ...perms(
    'networking.k8s.io',
    ['networkpolicies'],
    ['list', 'watch', 'create', 'patch', 'delete'],
  ),
  ...perms('discovery.k8s.io', ['endpointslices'], ['get', 'list', 'watch']),
  ...perms('', ['events'], ['create']),
  // Each GlassCluster's credentials Secret, created once and never read (ADR 0125).
  ...perms('', ['secrets'], ['create']),
].sort();

/** The leader Lease, in the release namespace: create, and get/update of its own name only. */
export const LEADER_ELECTION_PERMISSIONS = [
  ...perms('coordination.k8s.io', ['leases'], ['create']),
  ...perms('coordination.k8s.io', ['leases:glass-operator'], ['get', 'update']),
].sort();

export function permissionsOf(rules: Rule[]): string[] {
  return rules
    .flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) => {
          const names = rule.resourceNames ?? [];
          const targets = names.length === 0 ? [resource] : names.map((n) => `${resource}:${n}`);
          return targets.flatMap((target) => rule.verbs.map((v) => `${group}/${target} ${v}`));
        }),
      ),
    )
    .sort();
}

/** Every document, parsed as YAML 1.1 like kubectl does (an unquoted yes/no is a boolean there). */
export function parseDocs(text: string): Manifest[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((doc) => {
      if (doc.errors.length > 0)
        throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message ?? ''}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export const find = (docs: Manifest[], kind: string, name: string): Manifest | undefined =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);

/**
 * Objects as a JSON v1 List for `kubectl -f -`, in order. JSON, not YAML: a YAML writer may
 * leave a string such as `yes` unquoted, which kubectl's YAML 1.1 reads as a boolean.
 */
export function asList(...items: unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** helm and kubectl against one control plane, and the namespaces a test file made. */
export class ChartHarness {
  private readonly namespaces: string[] = [];
  private readonly helmBin: string;

  constructor(readonly plane: ControlPlane) {
    this.helmBin = join(plane.binDir, 'helm');
    if (!existsSync(this.helmBin)) {
      throw new Error(
        `helm not found at ${this.helmBin}: run hack/k8s-binaries.sh (builds it from its Go module), or put helm in KUBEBUILDER_ASSETS`,
      );
    }
  }

  helm(args: string[]): Promise<Run> {
    return run(this.helmBin, [...args, '--kubeconfig', this.plane.kubeconfigPath]);
  }

  async helmOk(args: string[]): Promise<string> {
    const result = await this.helm(args);
    if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  }

  /** The chart's own CRD copies, installed for real (before anything is dry-run against them). */
  async installChartCrds(): Promise<void> {
    const files = CRD_FILES.flatMap((f) => ['-f', join(CHART, 'crds', f)]);
    await this.plane.kubectlOk(['apply', '--server-side', ...files]);
    await this.plane.kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/faaslets.glass.dev',
      'crd/glassclusters.glass.dev',
    ]);
  }

  /** A fresh namespace where Pod Security admission enforces and warns on `restricted`. */
  async restrictedNamespace(prefix: string): Promise<string> {
    const name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await this.plane.kubectlOk(['create', 'namespace', name]);
    this.namespaces.push(name);
    await this.plane.kubectlOk([
      'label',
      'namespace',
      name,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/warn=restricted',
    ]);
    return name;
  }

  /** `kubectl apply --server-side --dry-run=server`; resolves with the exit code and output. */
  dryRunApply(input: string, extra: string[] = []): Promise<Run> {
    return this.plane.kubectl(
      ['apply', '--server-side', '--dry-run=server', ...extra, '-f', '-'],
      input,
    );
  }

  async deleteNamespaces(): Promise<void> {
    for (const ns of this.namespaces.splice(0)) {
      await this.plane.kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  }
}
