// The runtime processes `glass up` supervises: a member joins once its child answers /ready
// and leaves the moment the child exits, so the router never waits on a probe to notice.
import { MemberSet, type Member } from './membership.js';

export function localMember(port: number, host = '127.0.0.1'): Member {
  return { name: `${host}:${port}`, url: `http://${host}:${port}` };
}

export class LocalProcessMembership extends MemberSet {
  /** The child listening on `port` is ready. */
  joined(port: number, host?: string): void {
    this.add(localMember(port, host));
  }

  /** The child that listened on `port` exited. */
  left(port: number, host?: string): void {
    this.remove(localMember(port, host).name);
  }
}
