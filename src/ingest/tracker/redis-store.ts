/**
 * The HA tracker's records in Redis, shared by several `promdedup ingest` instances. CAS is a Lua
 * script that writes only if the value is still the one the update was computed from (retried on a
 * conflict); another instance's changes are picked up by polling the prefix (no keyspace
 * notifications to configure on the server). Commands fail at once while Redis is unreachable
 * (no offline queue), so the push path answers 500 for an unknown cluster instead of hanging.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ReplicaDesc, ReplicaDescChange, ReplicaDescStore, ReplicaDescUpdate } from './kv.js';

export interface RedisStoreOptions {
  /** host:port */
  readonly address: string;
  readonly password?: string;
  readonly db?: number;
  readonly tls?: boolean;
  /** How often watch() re-reads the prefix, default 1 s. */
  readonly pollIntervalMs?: number;
  /** Per-command timeout, default 2 s. */
  readonly commandTimeoutMs?: number;
}

/** SET the key to ARGV[2] only if it still holds ARGV[1] ('' = absent). */
const CAS_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if (v == false and ARGV[1] == '') or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** Optimistic CAS under contention: retried with a short random backoff. */
const CAS_ATTEMPTS = 50;

function parse(raw: string | null): ReplicaDesc | null {
  if (raw === null) return null;
  const v = JSON.parse(raw) as ReplicaDesc;
  return Object.freeze({ replica: v.replica, receivedAt: v.receivedAt, deletedAt: v.deletedAt, electedAt: v.electedAt, electedChanges: v.electedChanges });
}

/** A SCAN MATCH pattern for keys starting with `prefix` (glob characters escaped). */
function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

export class RedisReplicaDescStore implements ReplicaDescStore {
  private readonly redis: Redis;
  private readonly pollEvery: number;

  constructor(opts: RedisStoreOptions) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(opts.address);
    if (m === null) throw new Error(`--ha-tracker.redis.address ${JSON.stringify(opts.address)}: expected host:port`);
    const options: RedisOptions = {
      host: m[1] ?? m[2]!,
      port: Number(m[3]),
      db: opts.db ?? 0,
      connectTimeout: 2_000,
      commandTimeout: opts.commandTimeoutMs ?? 2_000,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep reconnecting: a Redis restart must not need a promdedup restart.
      retryStrategy: (times: number) => Math.min(100 * times, 2_000),
      lazyConnect: true,
      ...(opts.password !== undefined && opts.password !== '' ? { password: opts.password } : {}),
      ...(opts.tls === true ? { tls: {} } : {}),
    };
    this.redis = new Redis(options);
    // Errors surface on the commands; the client's own 'error' events would otherwise be unhandled.
    this.redis.on('error', () => {});
    this.pollEvery = opts.pollIntervalMs ?? 1_000;
  }

  /** Connects (rejects when Redis cannot be reached). */
  async connect(): Promise<void> {
    await this.redis.connect();
  }

  async get(key: string): Promise<ReplicaDesc | null> {
    return parse(await this.redis.get(key));
  }

  async cas(key: string, update: ReplicaDescUpdate): Promise<ReplicaDesc | null> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const raw = await this.redis.get(key);
      const next = update(parse(raw));
      if (next === null) return parse(raw);
      const written = JSON.stringify(next);
      const ok = (await this.redis.eval(CAS_SCRIPT, 1, key, raw ?? '', written)) as number;
      if (ok === 1) return parse(written);
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempt, 20)));
    }
    throw new Error(`redis CAS on ${key}: still conflicting after ${CAS_ATTEMPTS} attempts`);
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(key);
  }

  async list(prefix: string): Promise<Map<string, ReplicaDesc>> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', prefixPattern(prefix), 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const out = new Map<string, ReplicaDesc>();
    if (keys.length === 0) return out;
    const values = await this.redis.mget(...keys);
    keys.forEach((k, i) => {
      const v = parse(values[i] ?? null);
      if (v !== null) out.set(k, v);
    });
    return out;
  }

  /** Polls the prefix and reports what changed since the last look (put or delete). */
  watch(prefix: string, onChange: ReplicaDescChange): () => void {
    let last = new Map<string, string>();
    let running = false;
    const poll = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        const now = await this.list(prefix);
        const seen = new Map<string, string>();
        for (const [k, v] of now) {
          const text = JSON.stringify(v);
          seen.set(k, text);
          if (last.get(k) !== text) onChange(k, v);
        }
        for (const k of last.keys()) if (!seen.has(k)) onChange(k, null);
        last = seen;
      } catch {
        // Redis unreachable: the next poll tries again; the tracker keeps answering from its cache.
      } finally {
        running = false;
      }
    };
    const timer = setInterval(() => void poll(), this.pollEvery);
    timer.unref();
    void poll();
    return () => clearInterval(timer);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
