// The one-key commit as an ioredis Command whose wire bytes this module writes (ADR 47).
// ioredis builds every command from its arguments: it flattens them (`Array.prototype.flat`,
// ≈0.9 µs for nine) and measures and concatenates each one again (≈1 µs): together ≈1.6 µs
// more than an INCR, before the commit leaves. Most of those bytes are the same for every
// commit of a key (the script's SHA, both key names, the pod's id), so they are encoded once
// per key, and each commit only appends its three own arguments. ioredis still does
// everything else: the connection, queueing, reply parsing, errors.
import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { StateKey } from '../host/protocol.js';
import { namespaceOf, type KeyNaming, type OneKeyCommit } from './commit-script.js';

/** More keys than this and the encoded heads start over (each is a few dozen bytes). */
const MAX_HEADS = 10_000;

/** A RESP bulk string. */
function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/** A command sent as the bytes it was given. */
class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly encoded: string | Buffer,
  ) {
    // Buffer replies, as the scripts' `…Buffer` variants: values are bytes.
    super(name, [], { replyEncoding: null });
  }

  override toWritable(): string | Buffer {
    return this.encoded;
  }
}

/** Whether Redis answered that it does not have the script (SCRIPT FLUSH, a restart). */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** EVALSHA of the one-key commit script, one key's constant part encoded once. */
export class OneKeyCommitEncoder {
  private readonly sha: string;
  private readonly heads = new Map<StateKey, string>();

  constructor(
    lua: string,
    private readonly naming: KeyNaming,
    private readonly podId: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** The commit's EVALSHA, ready for `client.sendCommand`. */
  command(commit: OneKeyCommit): Command {
    const head = this.head(commit.key);
    const tail = bulk(commit.expected);
    const end = `${bulk(commit.version)}${bulk(commit.maxKeys)}${bulk(commit.maxBytes)}`;
    const { value } = commit;
    if (typeof value === 'string') {
      return new EncodedCommand('evalsha', `${head}${tail}${bulk(value)}${end}`);
    }
    const bytes = Buffer.concat([
      Buffer.from(`${head}${tail}$${value.length}\r\n`),
      value,
      Buffer.from(`\r\n${end}`),
    ]);
    return new EncodedCommand('evalsha', bytes);
  }

  /** The same commit as the script's KEYS and ARGV, for ioredis's own script command. */
  args(commit: OneKeyCommit): (string | Buffer)[] {
    const { key, expected, value, version, maxKeys, maxBytes } = commit;
    const overhead = String(this.naming.stateOverhead);
    return [
      ...this.redisKeys(key),
      this.podId,
      overhead,
      expected,
      value,
      version,
      maxKeys,
      maxBytes,
    ];
  }

  /** The script's KEYS for a state key: its hash, its namespace's turn and usage (ADR 0127). */
  private redisKeys(key: StateKey): [string, string, string] {
    const namespace = namespaceOf(key);
    return [this.naming.state(key), this.naming.turn(namespace), this.naming.usage(namespace)];
  }

  /**
   * `*13` EVALSHA sha 3 stateKey turnKey usageKey podId overhead: everything before the
   * commit's own five arguments.
   */
  private head(key: StateKey): string {
    let head = this.heads.get(key);
    if (head === undefined) {
      if (this.heads.size >= MAX_HEADS) this.heads.clear();
      const overhead = String(this.naming.stateOverhead);
      const parts = ['evalsha', this.sha, '3', ...this.redisKeys(key), this.podId, overhead];
      head = `*13\r\n${parts.map(bulk).join('')}`;
      this.heads.set(key, head);
    }
    return head;
  }
}
