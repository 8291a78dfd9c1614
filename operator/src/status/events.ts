import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string | undefined;
}

/** Records Kubernetes Events on condition transitions; best effort, never fails a reconcile. */
export class EventRecorder {
  private readonly api: CoreV1Api;
  private sequence = 0;

  constructor(
    config: KubeConfig,
    private readonly component: string,
    private readonly log: Logger,
  ) {
    this.api = config.makeApiClient(CoreV1Api);
  }

  record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date();
    this.sequence++;
    const body = {
      metadata: {
        name: `${target.name}.${now.getTime().toString(16)}${this.sequence}`,
        namespace: target.namespace,
      },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: target.name,
        namespace: target.namespace,
        uid: target.uid,
      },
      type,
      reason,
      message,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.api
      .createNamespacedEvent({ namespace: target.namespace, body })
      .catch((error: unknown) => {
        this.log.debug({ err: error }, 'could not record an event');
      });
  }
}

/** An Event when the Ready condition flips (and only then): Normal to True, Warning to False. */
export function recordReadyTransition(
  events: EventRecorder,
  target: EventTarget,
  before: { status: string } | undefined,
  after: { status: string; reason: string; message: string } | undefined,
): void {
  if (!after || before?.status === after.status) return;
  events.record(
    target,
    after.status === 'True' ? 'Normal' : 'Warning',
    after.reason,
    after.message,
  );
}
