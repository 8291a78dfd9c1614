// The router's ring as its `/lb/status` shows it (behind the cluster's admin token in
// Kubernetes, ADR 0125): which runtime pods it routes to, and whether each is healthy.
import type { PodView } from './cluster-view.js';
import { call, describeAnswer } from './http.js';

export interface RingPod {
  name: string;
  url: string;
  healthy: boolean;
}

/** The router's ring names this pod (by name, or by its address). */
export const onRing = (ring: RingPod[], pod: PodView): RingPod | undefined =>
  ring.find((p) => p.name === pod.name || (pod.ip !== undefined && p.url.includes(`//${pod.ip}:`)));

export async function ringOf(routerUrl: string, token: string): Promise<RingPod[]> {
  const answer = await call(`${routerUrl}/lb/status`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (answer.status !== 200) throw new Error(describeAnswer('GET /lb/status', answer));
  return (JSON.parse(answer.text) as { pods: RingPod[] }).pods;
}
