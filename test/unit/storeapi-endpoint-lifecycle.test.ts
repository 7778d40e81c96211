/**
 * Endpoints that come and go (discovery replacing the endpoint list) leave no connection or timer
 * behind: StoreAPI stores pointed at closed ports, checked every 100 ms, replaced five times, then
 * dropped.
 */
import { describe, expect, it } from 'vitest';
import { StoreSet } from '../../src/query/stores.js';
import { clientCredentials, PLAINTEXT } from '../../src/store/grpc/credentials.js';
import { GrpcStore } from '../../src/store/grpc/store.js';
import { sleep } from '../support/child-process.js';

/** Active timers and sockets, by kind. */
function handles(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) if (/Timeout|TCP|Socket/.test(r)) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

describe('StoreSet.replace with StoreAPI endpoints', () => {
  it('stops the endpoints it drops: no timers or sockets left', async () => {
    const before = handles();
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
    await sleep(300);
    // At most what was there before (the test runner's own may end meanwhile).
    for (const [kind, n] of handles()) expect(n, kind).toBeLessThanOrEqual(before.get(kind) ?? 0);
  });
});
