import initWabt from 'wabt';

/** A module from WebAssembly text, with wabt (the tool the guest build uses for its fixtures). */
export async function watToWasm(
  name: string,
  text: string,
  features: Record<string, boolean> = {},
): Promise<Uint8Array> {
  const wabt = await initWabt();
  const module = wabt.parseWat(name, text, features);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
