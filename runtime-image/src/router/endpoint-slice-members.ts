// The runtime pods an EndpointSlice set describes: a pure function, so the merge rules
// (several slices, duplicates during slice churn, not-ready and terminating endpoints) are
// tested without a cluster. docs/adr/0065.
import { isIPv6 } from 'node:net';
import type { Member } from './membership.js';

/** The Service port the runtime pods serve on: the operator names it `http`. */
export const RUNTIME_PORT_NAME = 'http';

/**
 * What the router reads of an EndpointSlice (client-node's V1EndpointSlice fits). Lists may
 * be null: `endpoints` has no omitempty, so a slice without endpoints comes as `null`.
 */
export interface SliceView {
  endpoints?: EndpointView[] | null;
  ports?: { name?: string; port?: number }[] | null;
}

export interface EndpointView {
  addresses: string[];
  /** `serving` is not read: a pod that still serves while terminating is draining. */
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

export interface SliceReading {
  /** Port used when a slice has no port named `http` (`--backend-port`). */
  backendPort: number;
}

/**
 * Routable endpoints leave the ring as soon as the slice says so: `ready: false` (not ready,
 * or terminating) or `terminating: true` (which a Service with publishNotReadyAddresses reports
 * alongside `ready: true`). An absent condition means ready, as the API defines it.
 */
export function isRoutable(endpoint: EndpointView): boolean {
  return endpoint.conditions?.ready !== false && endpoint.conditions?.terminating !== true;
}

function portOf(slice: SliceView, reading: SliceReading): number {
  const named = slice.ports?.find((p) => p.name === RUNTIME_PORT_NAME)?.port;
  return named ?? reading.backendPort;
}

/** `host:port` as it goes into a URL: IPv6 literals in brackets. */
function hostPort(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function memberOf(endpoint: EndpointView, port: number): Member | undefined {
  // Every address of one endpoint is the same pod; the API lets clients use the first.
  const address = endpoint.addresses[0];
  if (address === undefined || address === '') return undefined;
  const authority = hostPort(address, port);
  const ref = endpoint.targetRef;
  // The pod's name is what the runtime reports in X-Glass-Pod; an endpoint that is not a pod
  // (hand-written, or an external address) is named like a static backend, `host:port`.
  const name = ref?.kind === 'Pod' && ref.name ? ref.name : authority;
  return { name, url: `http://${authority}` };
}

/**
 * The members of the ring: one per pod that at least one slice lists as routable. A pod listed
 * by two slices (an endpoint moving between slices, or a dual-stack Service) counts once; when
 * the offers differ, the smallest URL wins, so the choice does not depend on event order.
 * Sorted by name.
 */
export function membersFromSlices(slices: Iterable<SliceView>, reading: SliceReading): Member[] {
  const byName = new Map<string, Member>();
  for (const slice of slices) {
    const port = portOf(slice, reading);
    for (const endpoint of slice.endpoints ?? []) {
      if (!isRoutable(endpoint)) continue;
      const member = memberOf(endpoint, port);
      if (member === undefined) continue;
      const known = byName.get(member.name);
      if (known === undefined || member.url < known.url) byName.set(member.name, member);
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
