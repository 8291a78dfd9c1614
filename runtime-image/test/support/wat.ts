import initWabt from 'wabt';

/** A module from WebAssembly text, with wabt (the tool the guest build uses for its fixtures). */
export async function watToWasm(name: string, text: string): Promise<Uint8Array> {
  const wabt = await initWabt();
  const module = wabt.parseWat(name, text);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
