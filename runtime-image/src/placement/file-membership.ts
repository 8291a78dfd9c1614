// Local mode (`glass up`): the runtime processes learn the membership from a JSON file the
// supervisor rewrites whenever a runtime joins or leaves, written whole and renamed into
// place, so a reader never sees half of it (ADR 0101).
import { watch, type FSWatcher } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { MemberSet, type Member, type Membership } from '../router/membership.js';

/** A missed file-system event is caught by this poll at the latest. */
const POLL_MS = 500;

function parseMembers(text: string): Member[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('members file must hold a JSON array');
  return parsed.map((m: unknown) => {
    const { name, url } = (m ?? {}) as { name?: unknown; url?: unknown };
    if (typeof name !== 'string' || typeof url !== 'string') {
      throw new Error('each member needs a string name and url');
    }
    return { name, url };
  });
}

/** Reads members from a file and follows it as it is replaced. */
export class FileMembership extends MemberSet {
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private reading = false;
  private again = false;

  constructor(
    private readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {
    super();
  }

  /** Reads the file once (it may not exist yet: no members), then follows it. */
  async start(): Promise<void> {
    await this.read();
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), (_event, file) => {
      if (file === null || file === name) void this.read();
    });
    this.watcher.on('error', (error) => {
      this.onError(error);
    });
    this.poll = setInterval(() => void this.read(), POLL_MS);
    this.poll.unref();
  }

  override close(): Promise<void> {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    return super.close();
  }

  /** Whether a change came in while the file was being read. */
  private readAgain(): boolean {
    return this.again;
  }

  private async read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        let text: string;
        try {
          text = await readFile(this.path, 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          text = '[]';
        }
        this.replaceAll(parseMembers(text));
      } while (this.readAgain());
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.reading = false;
    }
  }
}

/** Keeps `path` equal to `membership`'s members (the supervisor's side of the file). */
export function writeMembersFile(membership: Membership, path: string): () => Promise<void> {
  let writing = Promise.resolve();
  let sequence = 0;
  const write = (): void => {
    const text = JSON.stringify(membership.members());
    const temporary = `${path}.${process.pid}.${++sequence}`;
    writing = writing
      .then(() => writeFile(temporary, text))
      .then(() => rename(temporary, path))
      .catch(() => undefined);
  };
  const unsubscribe = membership.subscribe(write);
  write();
  return async () => {
    unsubscribe();
    await writing;
  };
}
