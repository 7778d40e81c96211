import type { ReplicaDesc, ReplicaDescChange, ReplicaDescStore, ReplicaDescUpdate } from './kv.js';

export interface MemoryReplicaDescStoreOptions {
  /** Test switch: while it returns true every operation rejects, as an unreachable backend would. */
  failing?: () => boolean;
}

/** Counts of calls made, so tests can assert that the push path stays off the store. */
export interface MemoryStoreCallCounts {
  get: number;
  cas: number;
  casWrites: number;
  delete: number;
  list: number;
}

export class StoreUnavailableError extends Error {
  constructor(op: string, key: string) {
    super(`memory store unavailable: ${op} ${key}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * In-process store. CAS is atomic because read, update and write happen in one synchronous step (no await between
 * them). Values are frozen copies so no caller can mutate what another one reads.
 */
export class MemoryReplicaDescStore implements ReplicaDescStore {
  readonly calls: MemoryStoreCallCounts = { get: 0, cas: 0, casWrites: 0, delete: 0, list: 0 };
  private readonly entries = new Map<string, ReplicaDesc>();
  private readonly watchers = new Set<{ prefix: string; onChange: ReplicaDescChange }>();
  private readonly failing: () => boolean;

  constructor(options: MemoryReplicaDescStoreOptions = {}) {
    this.failing = options.failing ?? (() => false);
  }

  async get(key: string): Promise<ReplicaDesc | null> {
    this.calls.get++;
    this.failIfDown('get', key);
    return this.entries.get(key) ?? null;
  }

  async cas(key: string, update: ReplicaDescUpdate): Promise<ReplicaDesc | null> {
    this.calls.cas++;
    this.failIfDown('cas', key);
    const current = this.entries.get(key) ?? null;
    const next = update(current);
    if (next === null) return current;
    const stored = Object.freeze({ ...next });
    this.entries.set(key, stored);
    this.calls.casWrites++;
    this.notify(key, stored);
    return stored;
  }

  async delete(key: string): Promise<void> {
    this.calls.delete++;
    this.failIfDown('delete', key);
    if (this.entries.delete(key)) this.notify(key, null);
  }

  async list(prefix: string): Promise<Map<string, ReplicaDesc>> {
    this.calls.list++;
    this.failIfDown('list', prefix);
    const out = new Map<string, ReplicaDesc>();
    for (const [key, desc] of this.entries) if (key.startsWith(prefix)) out.set(key, desc);
    return out;
  }

  watch(prefix: string, onChange: ReplicaDescChange): () => void {
    const watcher = { prefix, onChange };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Test helper: puts a value without CAS or notifications (e.g. a legacy record with electedAt 0). */
  seed(key: string, desc: ReplicaDesc): void {
    this.entries.set(key, Object.freeze({ ...desc }));
  }

  private failIfDown(op: string, key: string): void {
    if (this.failing()) throw new StoreUnavailableError(op, key);
  }

  // Synchronous delivery keeps instances sharing this store in lock-step; a throwing watcher must not undo a write.
  private notify(key: string, desc: ReplicaDesc | null): void {
    for (const w of [...this.watchers]) {
      if (!key.startsWith(w.prefix)) continue;
      try {
        w.onChange(key, desc);
      } catch {
        // The write is committed; a watcher's own failure is its business.
      }
    }
  }
}
