/**
 * DNS endpoint discovery against a real DNS server on loopback (test/support/dns-server.ts),
 * looked up through node:dns like in production: dns+, dnssrv+ and dnssrvnoa+ specs, changes
 * seen on the next lookup, the last good records kept while the server fails.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DnsResolver, EndpointDiscovery, type DiscoveredEndpoint } from '../../src/store/discovery/index.js';
import { TestDnsServer, type DnsRecords } from '../support/dns-server.js';

const TABLE: Readonly<Record<string, DnsRecords>> = {
  'store.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'] },
  '_grpc._tcp.stores.test': {
    SRV: [
      { port: 10901, target: 'store-a.test.' },
      { port: 10902, target: 'store-b.test' },
    ],
  },
  'store-a.test': { A: ['10.0.1.1'] },
  'store-b.test': { A: ['10.0.1.2'], AAAA: ['fd00::2'] },
  'prom.test': { A: ['10.0.3.1'] },
  '_prom._tcp.proms.test': { SRV: [{ port: 9090, target: 'prom-a.test' }] },
  'prom-a.test': { A: ['10.0.2.1'] },
};

let dns: TestDnsServer;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dns = await TestDnsServer.start();
});

beforeEach(() => {
  for (const name of Object.keys(TABLE)) dns.delete(name);
  for (const [name, records] of Object.entries(TABLE)) dns.set(name, records);
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await dns.close();
});

function resolver(): DnsResolver {
  return new DnsResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 });
}

/** A started discovery whose changes are queued for `next`; stopped in afterAll if the test does not. */
async function discover(endpoints: string[], more: { sdFiles?: string[]; dnsIntervalMs?: number } = {}) {
  const changes: DiscoveredEndpoint[][] = [];
  const waiters: Array<() => void> = [];
  const discovery = new EndpointDiscovery({
    endpoints,
    resolver: resolver(),
    dnsIntervalMs: more.dnsIntervalMs ?? 60_000,
    ...(more.sdFiles ? { sdFiles: more.sdFiles } : {}),
    onChange: (current) => {
      changes.push([...current]);
      waiters.splice(0).forEach((w) => w());
    },
  });
  stops.push(() => discovery.stop());
  await discovery.start();
  /** Waits for the change after the `seen`-th one; fails after `ms`. */
  const change = async (seen: number, ms = 2000): Promise<DiscoveredEndpoint[]> => {
    const deadline = performance.now() + ms;
    while (changes.length <= seen) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no endpoint change within ${ms} ms (have ${changes.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return changes[seen]!;
  };
  return { discovery, changes, change };
}

const keys = (endpoints: readonly DiscoveredEndpoint[]): string[] => endpoints.map((e) => e.key);

async function until(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('DnsResolver against a DNS server', () => {
  it('looks up A, AAAA and SRV records, and takes IP literals as they are', async () => {
    const r = resolver();
    expect((await r.addresses('store.test')).records).toEqual(['10.0.0.1', '10.0.0.2', 'fd00::1']);
    expect((await r.addresses('prom.test')).records).toEqual(['10.0.3.1']);
    expect((await r.addresses('192.0.2.7')).records).toEqual(['192.0.2.7']);
    expect((await r.srv('_grpc._tcp.stores.test')).records).toEqual([
      { name: 'store-a.test', port: 10901, priority: 0, weight: 0 },
      { name: 'store-b.test', port: 10902, priority: 0, weight: 0 },
    ]);
  });

  it('answers no records for NXDOMAIN, and the last good ones (with the error) for SERVFAIL', async () => {
    const r = resolver();
    expect(await r.addresses('missing.test')).toEqual({ records: [] });
    expect((await r.addresses('store-a.test')).records).toEqual(['10.0.1.1']);
    dns.fail('store-a.test');
    const failed = await r.addresses('store-a.test');
    expect(failed.records).toEqual(['10.0.1.1']);
    expect(failed.error?.message).toMatch(/A lookup of store-a\.test failed: .*ESERVFAIL/);
    expect(r.failures().map((f) => `${f.type} ${f.name}`)).toEqual(['A store-a.test', 'AAAA store-a.test']);
    dns.fail('store-a.test', false);
    expect(await r.addresses('store-a.test')).toEqual({ records: ['10.0.1.1'] });
    expect(r.failures()).toEqual([]);
  });
});

describe('EndpointDiscovery with DNS', () => {
  it('resolves dns+, dnssrv+ and dnssrvnoa+ specs, for gRPC and Prometheus', async () => {
    const { discovery, changes } = await discover([
      'dns+store.test:10901',
      'dnssrv+_grpc._tcp.stores.test',
      'dnssrvnoa+_grpc._tcp.stores.test',
      'dnssrv+_grpc._tcp.stores.test:19000',
      'dns+https://prom.test:9443/prefix/',
      'dns+http://prom.test/plain',
      'dnssrv+http://_prom._tcp.proms.test/api',
      'static.test:10905',
    ]);
    expect(changes).toHaveLength(1);
    const current = discovery.current();
    expect(keys(current)).toEqual([
      'grpc:10.0.0.1:10901',
      'grpc:10.0.0.2:10901',
      'grpc:10.0.1.1:10901',
      'grpc:10.0.1.1:19000',
      'grpc:10.0.1.2:10902',
      'grpc:10.0.1.2:19000',
      'grpc:[fd00::1]:10901',
      'grpc:[fd00::2]:10902',
      'grpc:[fd00::2]:19000',
      'grpc:static.test:10905',
      'grpc:store-a.test:10901',
      'grpc:store-b.test:10902',
      'prometheus:http://10.0.2.1:9090/api',
      'prometheus:http://10.0.3.1/plain',
      'prometheus:https://10.0.3.1:9443/prefix',
    ]);
    const byKey = new Map(current.map((e) => [e.key, e]));
    expect(byKey.get('prometheus:https://10.0.3.1:9443/prefix')).toEqual({
      key: 'prometheus:https://10.0.3.1:9443/prefix',
      kind: 'prometheus',
      address: 'https://10.0.3.1:9443/prefix',
      serverName: 'prom.test',
      strict: false,
      source: 'dns+https://prom.test:9443/prefix/',
    });
    expect(byKey.get('prometheus:http://10.0.3.1/plain')?.serverName).toBeUndefined();
    expect(byKey.get('grpc:[fd00::2]:10902')).toMatchObject({ address: '[fd00::2]:10902', serverName: 'store-b.test', source: 'dnssrv+_grpc._tcp.stores.test' });
    expect(byKey.get('grpc:store-a.test:10901')).toMatchObject({ address: 'store-a.test:10901', source: 'dnssrvnoa+_grpc._tcp.stores.test' });
    expect(byKey.get('grpc:store-a.test:10901')?.serverName).toBeUndefined();
    await discovery.stop();
  });

  it('sees changed records on the next lookup, once per change', async () => {
    const { discovery, changes, change } = await discover(['dns+store.test:10901', 'dnssrv+_grpc._tcp.stores.test'], { dnsIntervalMs: 200 });
    expect(keys(changes[0]!)).toEqual(['grpc:10.0.0.1:10901', 'grpc:10.0.0.2:10901', 'grpc:10.0.1.1:10901', 'grpc:10.0.1.2:10902', 'grpc:[fd00::1]:10901', 'grpc:[fd00::2]:10902']);

    // One record set changes at a time, so that a lookup in flight cannot see half a change.
    dns.set('store.test', { A: ['10.0.0.3'], AAAA: ['fd00::1'] });
    expect(keys(await change(1))).toEqual(['grpc:10.0.0.3:10901', 'grpc:10.0.1.1:10901', 'grpc:10.0.1.2:10902', 'grpc:[fd00::1]:10901', 'grpc:[fd00::2]:10902']);

    dns.set('store-c.test', { A: ['10.0.1.3'] });
    dns.set('_grpc._tcp.stores.test', { SRV: [{ port: 10903, target: 'store-c.test' }] });
    expect(keys(await change(2))).toEqual(['grpc:10.0.0.3:10901', 'grpc:10.0.1.3:10903', 'grpc:[fd00::1]:10901']);

    // Unchanged records through several lookups: no further calls.
    const asked = dns.queries('store.test');
    await until('three more lookups', () => dns.queries('store.test') >= asked + 6);
    expect(changes).toHaveLength(3);
    await discovery.stop();
  });

  it('keeps the last good addresses while the DNS server fails, and drops them on NXDOMAIN', async () => {
    const { discovery, changes } = await discover(['dns+store.test:10901', 'dnssrv+_grpc._tcp.stores.test'], { dnsIntervalMs: 200 });
    const before = keys(discovery.current());
    dns.fail('store.test');
    dns.fail('_grpc._tcp.stores.test');
    const asked = dns.queries('_grpc._tcp.stores.test');
    await until('two failed SRV lookups', () => dns.queries('_grpc._tcp.stores.test') >= asked + 2);
    expect(keys(discovery.current())).toEqual(before);
    expect(changes).toHaveLength(1);

    // A lookup in flight may still see SERVFAIL for one of A and AAAA: wait for the end state.
    dns.delete('store.test');
    const rest = ['grpc:10.0.1.1:10901', 'grpc:10.0.1.2:10902', 'grpc:[fd00::2]:10902'];
    await until('store.test gone', () => keys(discovery.current()).join() === rest.join());
    expect(keys(changes.at(-1)!)).toEqual(rest);
    await discovery.stop();
  });

  it('resolves dns+ targets of file SD files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promdedup-sd-dns-'));
    try {
      const file = join(dir, 'targets.json');
      await writeFile(file, JSON.stringify([{ targets: ['dns+prom-a.test:10901', 'dnssrvnoa+_prom._tcp.proms.test', 'store.test:10901'] }]));
      const { discovery, change } = await discover([], { sdFiles: [join(dir, '*.json')], dnsIntervalMs: 200 });
      expect(discovery.current()).toEqual([
        { key: 'grpc:10.0.2.1:10901', kind: 'grpc', address: '10.0.2.1:10901', serverName: 'prom-a.test', strict: false, source: file },
        { key: 'grpc:prom-a.test:9090', kind: 'grpc', address: 'prom-a.test:9090', strict: false, source: file },
        { key: 'grpc:store.test:10901', kind: 'grpc', address: 'store.test:10901', strict: false, source: file },
      ]);
      dns.set('prom-a.test', { A: ['10.0.2.9'] });
      expect(keys(await change(1))).toEqual(['grpc:10.0.2.9:10901', 'grpc:prom-a.test:9090', 'grpc:store.test:10901']);
      await discovery.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
