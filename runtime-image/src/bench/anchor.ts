import type { Child } from './children.js';

/** A proxy the Glass router is measured against (HAProxy, nginx), running as a bench child. */
export interface Anchor {
  child: Child;
  url: string;
  /** Stops it by PID, with any process it started. */
  stop(): Promise<void>;
}
