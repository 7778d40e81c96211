import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Etcd3, type IKeyValue, type IOptions, type Watcher } from 'etcd3';
import type { ReplicaDesc, ReplicaDescChange, ReplicaDescStore, ReplicaDescUpdate } from './kv.js';

export interface EtcdReplicaDescStoreOptions {
  /** Client URLs, e.g. `http://127.0.0.1:2379` (https for TLS). */
  endpoints: string[];
  /** Prepended to every key in etcd (on top of the tracker's own key prefix); stripped from keys handed back. */
  prefix?: string;
  /** Connect timeout, default 5 s. */
  dialTimeoutMs?: number;
  /** Deadline of each unary request (get, txn, delete, range), default 5 s. */
  requestTimeoutMs?: number;
  /** CAS attempts before giving up on a key that keeps changing under us, default 10. */
  maxCasAttempts?: number;
  username?: string;
  password?: string;
  /** PEM file paths, each optional: `ca` overrides the trusted roots; `cert` + `key` (together) = mutual TLS. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** Raised when a CAS lost the race `maxCasAttempts` times in a row. */
export class EtcdCasConflictError extends Error {
  constructor(key: string, attempts: number) {
    super(`etcd store: CAS on ${key} lost the race ${attempts} times in a row, giving up`);
    this.name = 'EtcdCasConflictError';
  }
}

/**
 * `ReplicaDescStore` over etcd v3. Values are the JSON of `ReplicaDesc`. `cas` is optimistic: read the key and its
 * mod revision, compute the update, then write in a transaction that only succeeds if the key's mod revision is
 * still the one read (create revision 0 when it was absent); a lost race retries with a fresh read.
 */
export class EtcdReplicaDescStore implements ReplicaDescStore {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly maxCasAttempts: number;
  private readonly watchers = new Set<Watcher>();
  private readonly pendingWatches = new Set<Promise<void>>();
  private closed = false;

  constructor(options: EtcdReplicaDescStoreOptions) {
    if (options.endpoints.length === 0) throw new Error('etcd store: at least one endpoint is required');
    this.prefix = options.prefix ?? '';
    this.maxCasAttempts = Math.max(1, options.maxCasAttempts ?? 10);
    const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    const clientOptions: IOptions = {
      hosts: options.endpoints,
      dialTimeout: options.dialTimeoutMs ?? 5000,
      // Streams (watch) live for as long as they are needed; only unary calls get a deadline.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + requestTimeoutMs }),
    };
    if (options.username !== undefined) {
      clientOptions.auth = { username: options.username, password: options.password ?? '' };
    }
    if (options.tls) {
      const { ca, cert, key } = options.tls;
      if ((cert === undefined) !== (key === undefined)) throw new Error('etcd store: tls.cert and tls.key go together');
      clientOptions.credentials = {
        // Without a CA file the server is verified against Node's bundled roots.
        rootCertificate: ca !== undefined ? readFileSync(ca) : Buffer.from(rootCertificates.join('\n')),
        ...(cert !== undefined && key !== undefined ? { certChain: readFileSync(cert), privateKey: readFileSync(key) } : {}),
      };
    }
    this.client = new Etcd3(clientOptions);
  }

  async get(key: string): Promise<ReplicaDesc | null> {
    const res = await this.client.get(this.full(key)).exec();
    const kv = res.kvs[0];
    return kv ? decode(kv) : null;
  }

  async cas(key: string, update: ReplicaDescUpdate): Promise<ReplicaDesc | null> {
    const full = this.full(key);
    for (let attempt = 1; attempt <= this.maxCasAttempts; attempt++) {
      // Contenders that lost together would otherwise retry in lock-step: spread them out a little.
      if (attempt > 1) await sleep(Math.random() * Math.min(100, 5 * 2 ** attempt));
      const res = await this.client.get(full).exec();
      const kv = res.kvs[0];
      const current = kv ? decode(kv) : null;
      const next = update(current);
      if (next === null) return current;
      const stored: ReplicaDesc = Object.freeze({ ...next });
      const txn = kv
        ? this.client.if(full, 'Mod', '==', kv.mod_revision)
        : this.client.if(full, 'Create', '==', 0);
      const committed = await txn.then(this.client.put(full).value(JSON.stringify(stored))).commit();
      if (committed.succeeded) return stored;
    }
    throw new EtcdCasConflictError(key, this.maxCasAttempts);
  }

  async delete(key: string): Promise<void> {
    await this.client.delete().key(this.full(key)).exec();
  }

  async list(prefix: string): Promise<Map<string, ReplicaDesc>> {
    const res = await this.client.getAll().prefix(this.full(prefix)).exec();
    const out = new Map<string, ReplicaDesc>();
    for (const kv of res.kvs) {
      const desc = tryDecode(kv);
      if (desc !== null) out.set(this.strip(kv.key.toString()), desc);
    }
    return out;
  }

  /**
   * Watches keys under `prefix`. The watch is set up in the background (see `watchesReady`); the etcd3 client
   * reconnects and resumes a broken watch by itself. Undecodable values are skipped.
   */
  watch(prefix: string, onChange: ReplicaDescChange): () => void {
    let unsubscribed = false;
    let watcher: Watcher | null = null;
    const deliver = (key: string, desc: ReplicaDesc | null): void => {
      if (unsubscribed) return;
      try {
        onChange(key, desc);
      } catch {
        // A watcher's own failure must not break the stream.
      }
    };
    const pending = this.client
      .watch()
      .prefix(this.full(prefix))
      .create()
      .then(
        (w) => {
          if (unsubscribed || this.closed) {
            void w.cancel().catch(() => {});
            return;
          }
          watcher = w;
          this.watchers.add(w);
          w.on('error', () => {
            // Recoverable errors are retried by the client; nothing useful to do with the rest here.
          });
          w.on('put', (kv) => {
            const desc = tryDecode(kv);
            if (desc !== null) deliver(this.strip(kv.key.toString()), desc);
          });
          w.on('delete', (kv) => deliver(this.strip(kv.key.toString()), null));
        },
        () => {
          // Could not start (etcd down at subscribe time and the client gave up): no change feed.
        },
      );
    const tracked = pending.finally(() => this.pendingWatches.delete(tracked));
    this.pendingWatches.add(tracked);
    return () => {
      if (unsubscribed) return;
      unsubscribed = true;
      if (watcher) {
        this.watchers.delete(watcher);
        void watcher.cancel().catch(() => {});
      }
    };
  }

  /** Resolves once every watch requested so far is established on the server (or failed to start). */
  async watchesReady(): Promise<void> {
    await Promise.all([...this.pendingWatches]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A watch still being set up (etcd unreachable) is cancelled by its own handler once it starts; don't hang on it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.watchesReady(), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    await Promise.all([...this.watchers].map((w) => w.cancel().catch(() => {})));
    this.watchers.clear();
    this.client.close();
  }

  private full(key: string): string {
    return this.prefix + key;
  }

  private strip(key: string): string {
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function decode(kv: IKeyValue): ReplicaDesc {
  const desc = tryDecode(kv);
  if (desc === null) throw new Error(`etcd store: value of ${kv.key.toString()} is not a ReplicaDesc`);
  return desc;
}

function tryDecode(kv: IKeyValue): ReplicaDesc | null {
  let raw: unknown;
  try {
    raw = JSON.parse(kv.value.toString());
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.replica !== 'string') return null;
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return Object.freeze({
    replica: r.replica,
    receivedAt: num(r.receivedAt),
    deletedAt: num(r.deletedAt),
    electedAt: num(r.electedAt),
    electedChanges: num(r.electedChanges),
  });
}
