// The operator in this process, for tests that need no process boundary. GLASS_TEST_LOG
// (e.g. info) shows its log when a test needs looking into; it is silent otherwise.
import { pino } from 'pino';
import { OperatorConfig } from '../../src/config.js';
import type { ClusterPolicy } from '../../src/glasscluster/reconcile.js';
import { clusterPolicyOf, Manager } from '../../src/manager.js';

/** The in-process operator's configuration. */
export function testConfig(
  kubeconfig: string,
  options: { allowedImages?: string[] } = {},
): OperatorConfig {
  return OperatorConfig.parse({
    ...options,
    kubeconfig,
    identity: 'in-process-test',
    healthPort: 0,
    healthHost: '127.0.0.1',
    leaderElect: false,
    logLevel: process.env.GLASS_TEST_LOG ?? 'silent',
    // Test module servers listen on loopback, which is refused unless allowed (ADR 0081).
    moduleFetchAllowCidrs: ['127.0.0.0/8'],
  });
}

/** What the in-process operator imposes on GlassClusters, for reconcilers a test builds. */
export const testClusterPolicy = (): ClusterPolicy => clusterPolicyOf(testConfig('unused'));

export async function startManager(
  kubeconfig: string,
  options: { allowedImages?: string[] } = {},
): Promise<Manager> {
  const config = testConfig(kubeconfig, options);
  const manager = new Manager(
    Object.freeze(config),
    pino({ level: process.env.GLASS_TEST_LOG ?? 'silent' }),
  );
  await manager.start();
  return manager;
}
