/**
 * memcached servers found through DNS, as Thanos' memcached client finds them (`dns+host:port`,
 * `dnssrv+name`, `dnssrvnoa+name`, looked up every dns_provider_update_interval): the results
 * cache's store over two real memcached servers named by a real DNS server on loopback
 * (test/support/dns-server.ts) — keys spread over what the records name, changes followed, the
 * last good records kept while DNS fails, no servers meaning misses rather than errors — and a
 * `promdedup query-frontend` process configured with a `dns+` address, caching through it.
 */
import { createServer, type Server } from 'node:http';
import memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsResolver } from '../../src/store/discovery/dns.js';
import { MemcachedStore } from '../../src/frontend/memcached-store.js';
import type { MemcachedCacheConfig } from '../../src/frontend/cache-config.js';
import { TestDnsServer } from '../support/dns-server.js';
import { memcachedAvailable, startMemcached, type MemcachedServer } from '../support/memcached-server.js';
import { startFrontendProcess } from '../support/frontend-process.js';
import { ensureQuerierBuilt } from '../support/querier-process.js';
import { sleep } from '../support/child-process.js';

const ok = memcachedAvailable();

const config = (addresses: string[]): MemcachedCacheConfig => ({
  type: 'memcached',
  addresses,
  dnsUpdateIntervalMs: 100,
  timeoutMs: 300,
  maxIdleConnections: 1,
  maxItemSizeBytes: 1 << 20,
  expirationMs: 60_000,
});

async function until(f: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe.skipIf(!ok)('memcached servers found through DNS', () => {
  let dns: TestDnsServer;
  let m1: MemcachedServer;
  let m2: MemcachedServer;
  const stores: MemcachedStore[] = [];

  beforeAll(async () => {
    ensureQuerierBuilt();
    [dns, m1, m2] = await Promise.all([TestDnsServer.start(), startMemcached(), startMemcached()]);
  }, 60_000);
  afterAll(async () => {
    for (const s of stores) await s.close();
    await Promise.all([m1?.stop(), m2?.stop(), dns?.close()]);
  });

  const open = async (addresses: string[]): Promise<MemcachedStore> => {
    const store = new MemcachedStore(config(addresses), { resolver: new DnsResolver({ servers: [dns.address], timeoutMs: 300, tries: 1 }) });
    stores.push(store);
    await store.start();
    return store;
  };
  const sorted = (...xs: string[]): string[] => [...xs].sort();

  it('dnssrv+: the SRV targets\' addresses, keys spread over them; a change is followed; a failing DNS keeps the last good records', async () => {
    dns.set('_memcache._tcp.mc.test', { SRV: [{ port: m1.port, target: 'mc-1.test' }, { port: m2.port, target: 'mc-2.test.' }] });
    dns.set('mc-1.test', { A: ['127.0.0.1'] });
    dns.set('mc-2.test', { A: ['127.0.0.1'] });
    const store = await open(['dnssrv+_memcache._tcp.mc.test']);
    expect(store.currentServers).toEqual(sorted(m1.address, m2.address));

    // Every key is stored on the server serverOf() names, and both servers hold some.
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    for (const k of keys) await store.set(k, Buffer.from(`value of ${k}`), 60_000);
    const placed = new Map(keys.map((k) => [k, store.serverOf(k)]));
    expect(new Set(placed.values())).toEqual(new Set([m1.address, m2.address]));
    for (const address of [m1.address, m2.address]) {
      const direct = memjs.Client.create<Buffer, Buffer | null>(address, { retries: 0, logger: { log: () => {} } });
      try {
        for (const [k, where] of placed) {
          const { value } = await direct.get(k);
          expect(value?.toString() ?? null, `${k} on ${address}`).toBe(where === address ? `value of ${k}` : null);
        }
      } finally {
        direct.close();
      }
    }
    for (const k of keys) expect((await store.get(k))?.toString()).toBe(`value of ${k}`);

    // One target gone: the next lookups drop it; what it held is a miss, nothing fails.
    dns.set('_memcache._tcp.mc.test', { SRV: [{ port: m1.port, target: 'mc-1.test' }] });
    await until(() => store.currentServers.length === 1);
    expect(store.currentServers).toEqual([m1.address]);
    for (const k of keys) {
      const v = await store.get(k);
      if (placed.get(k) === m1.address) expect(v?.toString()).toBe(`value of ${k}`);
      else expect(v).toBeUndefined();
    }

    // DNS failing: the last good records stay in use.
    dns.set('_memcache._tcp.mc.test', { SRV: [{ port: m1.port, target: 'mc-1.test' }, { port: m2.port, target: 'mc-2.test' }] });
    await until(() => store.currentServers.length === 2);
    dns.fail('_memcache._tcp.mc.test');
    const asked = dns.queries('_memcache._tcp.mc.test');
    await until(() => dns.queries('_memcache._tcp.mc.test') >= asked + 3);
    expect(store.currentServers).toEqual(sorted(m1.address, m2.address));
    dns.fail('_memcache._tcp.mc.test', false);
  });

  it('dns+ and dnssrvnoa+: A records with the given port; SRV targets as named', async () => {
    dns.set('mc-both.test', { A: ['127.0.0.1'] });
    const byA = await open([`dns+mc-both.test:${m2.port}`, m1.address]);
    expect(byA.currentServers).toEqual(sorted(m1.address, `127.0.0.1:${m2.port}`));
    dns.set('_mc._tcp.noa.test', { SRV: [{ port: m1.port, target: '127.0.0.1' }] });
    const noA = await open(['dnssrvnoa+_mc._tcp.noa.test']);
    expect(noA.currentServers).toEqual([m1.address]);
    await noA.set('noa', Buffer.from('x'), 60_000);
    expect((await noA.get('noa'))?.toString()).toBe('x');
  });

  it('names without records: no servers, every get a miss and every set dropped, until some appear', async () => {
    const store = await open(['dnssrv+_memcache._tcp.none.test']);
    expect(store.currentServers).toEqual([]);
    expect(store.serverOf('k')).toBe('');
    await store.set('k', Buffer.from('v'), 60_000);
    expect(await store.get('k')).toBeUndefined();
    dns.set('_memcache._tcp.none.test', { SRV: [{ port: m2.port, target: 'mc-2.test' }] });
    dns.set('mc-2.test', { A: ['127.0.0.1'] });
    await until(() => store.currentServers.length === 1);
    await store.set('k', Buffer.from('v'), 60_000);
    expect((await store.get('k'))?.toString()).toBe('v');
  });

  describe('promdedup query-frontend with a dns+ address', () => {
    let downstream: Server;
    let asked = 0;
    beforeAll(async () => {
      downstream = createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          asked++;
          const p = new URLSearchParams(body || (req.url ?? '').split('?')[1]);
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"x":"1"},"values":[[${p.get('start')},"1"]]}]}}`);
        });
      });
      await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
    });
    afterAll(async () => {
      await new Promise((r) => downstream?.close(r));
    });

    it('caches through the servers it resolved: a repeat is answered without the downstream', async () => {
      const port = (downstream.address() as { port: number }).port;
      const cfg = `type: MEMCACHED\nconfig:\n  addresses: ["dns+127.0.0.1:${m1.port}"]\n  dns_provider_update_interval: 1s\n`;
      const fe = await startFrontendProcess(`http://127.0.0.1:${port}`, [`--query-range.response-cache-config=${cfg}`, '--query-range.split-interval=1h']);
      try {
        const url = `${fe.url}/api/v1/query_range?query=up&start=1700000000&end=1700003600&step=60`;
        const first = await (await fetch(url)).text();
        expect(asked).toBeGreaterThan(0);
        // The store is asynchronous: a repeat is answered from memcached once the extents are there.
        let answeredFromCache = false;
        for (const deadline = Date.now() + 5000; !answeredFromCache && Date.now() < deadline; ) {
          await sleep(50);
          const before = asked;
          expect(await (await fetch(url)).text()).toBe(first);
          answeredFromCache = asked === before;
        }
        expect(answeredFromCache).toBe(true);
        expect(fe.logs()).toMatch(/results_cache="memcached dns\+127\.0\.0\.1:\d+"/);
      } finally {
        await fe.stop();
      }
    }, 30_000);
  });
});
