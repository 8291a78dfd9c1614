/**
 * A guest tried to store more than a `spec.state.quota` allows. It fails the whole
 * invocation, nested calls included (a caller cannot catch it as a failed call and go on), so
 * nothing the invocation wrote is applied; the message names the quota.
 */
export class QuotaExceeded extends Error {
  constructor(
    readonly quota: string,
    what: string,
    limit: number,
  ) {
    super(`quota ${quota} exceeded: ${what}, over the limit of ${limit}`);
  }
}
