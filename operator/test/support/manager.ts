// The operator in this process, for tests that need no process boundary. GLASS_TEST_LOG
// (e.g. info) shows its log when a test needs looking into; it is silent otherwise.
import { pino } from 'pino';
import { OperatorConfig } from '../../src/config.js';
import { Manager } from '../../src/manager.js';

export async function startManager(
  kubeconfig: string,
  options: { allowedImages?: string[] } = {},
): Promise<Manager> {
  const config = OperatorConfig.parse({
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
  const manager = new Manager(
    Object.freeze(config),
    pino({ level: process.env.GLASS_TEST_LOG ?? 'silent' }),
  );
  await manager.start();
  return manager;
}
