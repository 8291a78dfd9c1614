import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Module bytes over HTTP on loopback, for Faaslets whose module is a URL. A path can be held:
 * its answer waits until the test releases it (a slow download, seen from the runtime).
 */
export class ModuleServer {
  private readonly modules = new Map<string, Uint8Array>();
  private readonly held = new Map<string, { promise: Promise<void>; release: () => void }>();
  private readonly asked = new Map<string, () => void>();

  private readonly server: Server = createServer((request, response) => {
    void this.answer(request.url ?? '/', response);
  });
  base = '';

  static async start(): Promise<ModuleServer> {
    const self = new ModuleServer();
    await new Promise<void>((resolve) => self.server.listen(0, '127.0.0.1', resolve));
    self.base = `http://127.0.0.1:${(self.server.address() as AddressInfo).port}`;
    return self;
  }

  /** Serves `bytes` at `path`; returns the URL. */
  serve(path: string, bytes: Uint8Array): string {
    this.modules.set(path, bytes);
    return `${this.base}${path}`;
  }

  /** Answers for `path` wait until `release()`. */
  hold(path: string): () => void {
    let release = (): void => undefined;
    const promise = new Promise<void>((resolve) => (release = resolve));
    this.held.set(path, { promise, release });
    return () => {
      this.held.delete(path);
      release();
    };
  }

  /** Resolves when `path` is next asked for. */
  requested(path: string): Promise<void> {
    return new Promise((resolve) => this.asked.set(path, resolve));
  }

  async close(): Promise<void> {
    for (const { release } of this.held.values()) release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async answer(path: string, response: ServerResponse): Promise<void> {
    this.asked.get(path)?.();
    this.asked.delete(path);
    await this.held.get(path)?.promise;
    const bytes = this.modules.get(path);
    if (!bytes) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/wasm' }).end(Buffer.from(bytes));
  }
}
