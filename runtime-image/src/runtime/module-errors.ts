import { InvalidModuleError } from './compile-faaslet.js';

/** The module's bytes are not where the spec says (yet): a ConfigMap or key missing, a URL failing. */
export class ModuleNotFoundError extends InvalidModuleError {}
/** The bytes at the URL are not the ones the spec pins. */
export class DigestMismatchError extends InvalidModuleError {}
/** The module at the URL is larger than the fetch may read (ADR 0081). */
export class ModuleTooLargeError extends InvalidModuleError {}

/**
 * A module URL that could not be fetched. `message` is generic, because it goes into the
 * Faaslet's status, which whoever may create a Faaslet can read: a status code, a port or a
 * refused address there would make the fetch a port-scan oracle (ADR 0081). `detail` says
 * what happened, for the operator's log only.
 */
export class ModuleFetchError extends ModuleNotFoundError {
  constructor(readonly detail: string) {
    super('spec.module.url could not be fetched (the operator log says why)');
  }
}
