// Faaslets of the counter guest with names and namespaces of a test's choosing.
import { sampleFaaslets, type SampleFaaslet } from './sample-faaslets.js';

export type CounterFaaslet = SampleFaaslet;

/** A folder with the counter module and one Faaslet of it per entry. */
export function counterFaaslets(faaslets: CounterFaaslet[]): Promise<string> {
  return sampleFaaslets('counter.yaml', faaslets);
}
