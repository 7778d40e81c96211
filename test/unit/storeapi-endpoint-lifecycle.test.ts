/**
 * Endpoints that come and go (discovery replacing the endpoint list) leave no connection or timer
 * behind: StoreAPI stores pointed at closed ports, checked every 100 ms, replaced five times, then
 * dropped; within a few seconds nothing they created is alive.
 */
import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { StoreSet } from '../../src/query/stores.js';
import { clientCredentials, PLAINTEXT } from '../../src/store/grpc/credentials.js';
import { GrpcStore } from '../../src/store/grpc/store.js';
import { sleep } from '../support/child-process.js';

/**
 * Timers and sockets created while `track` runs and not destroyed yet (async_hooks sees unref'd
 * timers too, which process.getActiveResourcesInfo() does not list).
 */
function tracker(): { live(): string[]; stop(): void } {
  const alive = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout' && !type.startsWith('TCP') && type !== 'HTTP2SESSION') return;
      // Only what the stores and gRPC create, not the test's own sleeps.
      const stack = new Error().stack ?? '';
      if (/[\\/]src[\\/]store[\\/]|@grpc[\\/]grpc-js/.test(stack)) alive.set(id, `${type} ${stack.split('\n').slice(5, 8).join(' ')}`);
    },
    destroy(id) {
      alive.delete(id);
    },
  });
  hook.enable();
  return { live: () => [...alive.values()], stop: () => hook.disable() };
}

describe('StoreSet.replace with StoreAPI endpoints', () => {
  it('stops the endpoints it drops: no timers or sockets left', { timeout: 20_000 }, async () => {
    const t = tracker();
    const { creds } = clientCredentials(PLAINTEXT);
    const set = new StoreSet([]);
    await set.start();
    for (let round = 0; round < 5; round++) {
      const stores = Array.from({ length: 8 }, (_, i) => new GrpcStore({ address: `127.0.0.1:${1 + round * 8 + i}`, creds, infoIntervalMs: 100 }));
      await set.replace(stores);
      expect(set.stores).toHaveLength(8);
      // Never answered: not queried, and warned about as unavailable.
      expect(set.matching([]).stores).toHaveLength(0);
      expect(set.matching([]).unavailable).toHaveLength(8);
      await sleep(250);
    }
    await set.replace([]);
    // grpc-js leaves a closed channel's reconnect backoff timer (unref'd) to fire once: wait for it.
    const deadline = Date.now() + 8_000;
    while (t.live().length > 0 && Date.now() < deadline) await sleep(100);
    const live = t.live();
    t.stop();
    expect(live).toEqual([]);
  });
});
