import { describe, expect, it } from 'vitest';
import { clipExtents, joinExtents, partition, type Extent } from '../../../src/frontend/cache.js';
import { parseBytes, parseCacheConfig } from '../../../src/frontend/cache-config.js';
import { decodeMetadata, encodeMetadata, mergeMetadata, splitByInterval } from '../../../src/frontend/metadata.js';
import { InMemoryCache } from '../../../src/frontend/results-cache.js';
import { compactAnswer, decodeAnswer, encodeAnswer, extractRange, fromParsed, goDuration, mergeAnswers, nextIntervalBoundary, splitRange, type RangeAnswer } from '../../../src/frontend/range.js';
import { decodeExtents, extentsCodec } from '../../../src/frontend/cache.js';
import { packAnswer, unpackAnswer } from '../../../src/frontend/packed.js';
import { runFrontendTask, unpackExtents } from '../../../src/frontend/worker-protocol.js';
import { AnswerDecoder } from '../../../src/frontend/decoder.js';
import { parseDuration } from '../../../src/promql/parser.js';

const H = 3_600_000;
const D = 24 * H;

const answer = (series: Record<string, number[]>, warnings: string[] = []): RangeAnswer =>
  fromParsed(
    'matrix',
    Object.entries(series).map(([name, ts]) => ({ metric: { __name__: name }, values: ts.map((t) => [t / 1000, String(t)] as [number, string]) })),
    warnings,
    [],
  );

/** The answer's series as a client reads them. */
const result = (a: RangeAnswer): { metric: Record<string, string>; values?: [number, string][] }[] => JSON.parse(encodeAnswer(a).toString()).data.result;

describe('splitRange', () => {
  it('ends each sub-range at the last step before a boundary and starts the next one step later', () => {
    expect(nextIntervalBoundary(0, 60_000, D)).toBe(D - 60_000);
    expect(nextIntervalBoundary(7_000, 60_000, D)).toBe(D - 53_000);
    expect(splitRange(10 * H, 2 * D + 5 * H, 5 * 60_000, D)).toEqual([
      [10 * H, D - 5 * 60_000],
      [D, 2 * D - 5 * 60_000],
      [2 * D, 2 * D + 5 * H],
    ]);
    // every sub-range stays on the whole range's grid
    for (const [s, e] of splitRange(7_000, 7_000 + 617 * 7 * 60_000, 7 * 60_000, D)) {
      expect((s - 7_000) % (7 * 60_000)).toBe(0);
      expect((e - 7_000) % (7 * 60_000)).toBe(0);
    }
    expect(splitRange(5, 5, 1000, D)).toEqual([[5, 5]]);
    expect(splitRange(0, 3 * D, 1000, 0)).toEqual([[0, 3 * D]]);
  });
});

describe('merging', () => {
  it('merges series by labels, concatenates samples in order, sorts series and unites warnings', () => {
    const m = mergeAnswers([answer({ b: [3000], a: [3000, 4000] }, ['w2']), answer({ a: [1000, 2000], c: [1000] }, ['w1', 'w2'])]);
    expect(result(m).map((s) => [s.metric['__name__'], s.values!.map((v) => v[0])])).toEqual([
      ['a', [1, 2, 3, 4]],
      ['b', [3]],
      ['c', [1]],
    ]);
    expect(m.warnings).toEqual(['w2', 'w1']);
    expect(result(extractRange(m, 2000, 3000)).map((s) => s.values!.length)).toEqual([2, 1]);
  });

  it('re-encodes exactly what the downstream wrote, after any cutting, merging and compaction', () => {
    const text =
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"x","path":"/a?b=1\\u0026c=\\u003c"},"values":[[1,"1"],[1.5,"NaN"],[2.25,"+Inf"],[3,"-1e-07"]]},' +
      '{"metric":{"le":"1"},"histograms":[[1,{"count":"2","sum":"3","buckets":[[0,"0","1","2"]]}],[2,{"count":"3","sum":"4","buckets":[[0,"0","1","3"]]}]]}]},"warnings":["w"]}';
    const a = decodeAnswer(text)!;
    expect(encodeAnswer(a).toString()).toBe(text);
    const pieces = [extractRange(a, 0, 1000), extractRange(a, 1500, 2000), extractRange(a, 2000, 9000)];
    expect(encodeAnswer(mergeAnswers(pieces)).toString()).toBe(text);
    let many = extractRange(a, 0, 0);
    for (const t of [1000, 1500, 2000, 2250, 3000]) many = mergeAnswers([many, extractRange(a, t, t)]);
    expect(encodeAnswer(compactAnswer(many)).toString()).toBe(text);
    const [back] = decodeExtents(extentsCodec.encode([{ start: 1000, end: 3000, answer: a }]));
    expect(encodeAnswer(back!.answer).toString()).toBe(text);
    // Packed for a worker's transfer and unpacked: the same bytes, cut runs included.
    expect(encodeAnswer(unpackAnswer(packAnswer(a))).toString()).toBe(text);
    expect(encodeAnswer(unpackAnswer(packAnswer(mergeAnswers(pieces)))).toString()).toBe(text);
    const task = runFrontendTask({ kind: 'range', body: Buffer.from(text) });
    expect(task.result.kind === 'range' && encodeAnswer(unpackAnswer(task.result.answer!)).toString()).toBe(text);
    expect(task.transfer).toHaveLength(3);
    const ext = runFrontendTask({ kind: 'extents', body: extentsCodec.encode([{ start: 1000, end: 3000, answer: a }]) });
    expect(ext.result.kind === 'extents' && encodeAnswer(unpackExtents(ext.result.extents)[0]!.answer).toString()).toBe(text);
    expect(runFrontendTask({ kind: 'range', body: Buffer.from('{"status":"error"}') }).result).toEqual({ kind: 'range', answer: null });
  });

  it('decodes large answers on a worker thread, small ones inline, to the same bytes', async () => {
    const big = answer(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, Array.from({ length: 400 }, (_, k) => k * 15_000)])));
    const text = encodeAnswer(big);
    expect(text.length).toBeGreaterThan(64 << 10);
    const decoder = new AnswerDecoder(1);
    try {
      expect(encodeAnswer((await decoder.range(text))!).equals(text)).toBe(true);
      const small = encodeAnswer(answer({ a: [1000] }));
      expect(encodeAnswer((await decoder.range(small))!).equals(small)).toBe(true);
      expect(await decoder.range(Buffer.alloc(100_000, 0x20))).toBeNull();
      const stored = extentsCodec.encode([{ start: 0, end: 399 * 15_000, answer: big }]);
      expect(encodeAnswer((await decoder.extents(stored))[0]!.answer).equals(text)).toBe(true);
    } finally {
      await decoder.close();
    }
  });

  it('cut runs keep only their own points; overlapping runs keep the earlier point', () => {
    const a = answer({ a: [1000, 2000, 3000, 4000, 5000] });
    expect(result(extractRange(a, 1500, 4500))[0]!.values!.map((v) => v[0])).toEqual([2, 3, 4]);
    expect(result(extractRange(a, 6000, 7000))).toEqual([]);
    const overlap = mergeAnswers([extractRange(a, 1000, 3000), answer({ a: [3000, 6000] })]);
    expect(result(overlap)[0]!.values).toEqual([
      [1, '1000'],
      [2, '2000'],
      [3, '3000'],
      [6, '6000'],
    ]);
  });
});

describe('extents', () => {
  it('partitions a range into cached parts and gaps on the step grid', () => {
    const ext: Extent[] = [{ start: 10_000, end: 20_000, answer: answer({ a: [10_000, 15_000, 20_000] }) }];
    const p = partition(0, 40_000, 5_000, ext);
    expect(p.missing).toEqual([
      [0, 5_000],
      [25_000, 40_000],
    ]);
    expect(result(p.cached[0]!)[0]!.values).toHaveLength(3);
    expect(partition(10_000, 20_000, 5_000, ext).missing).toEqual([]);
  });

  it('joins touching extents and clips them at the freshness limit', () => {
    const j = joinExtents(
      [
        { start: 25_000, end: 40_000, answer: answer({ a: [25_000, 40_000] }) },
        { start: 0, end: 20_000, answer: answer({ a: [0, 20_000] }) },
      ],
      5_000,
    );
    expect(j.map((x) => [x.start, x.end])).toEqual([[0, 40_000]]);
    const c = clipExtents(j, 30_000);
    expect(c[0]!.end).toBe(30_000);
    expect(result(c[0]!.answer)[0]!.values!.map((v) => v[0])).toEqual([0, 20, 25]);
  });

  it('evicts the least recently used entries beyond max_size_items', () => {
    const cache = new InMemoryCache<Extent[]>({ type: 'in-memory', maxSizeBytes: 0, maxSizeItems: 2, validityMs: 0 }, () => 1);
    const x = [{ start: 0, end: 0, answer: answer({}) }];
    cache.put('a', x);
    cache.put('b', x);
    cache.getNow('a');
    cache.put('c', x);
    expect(cache.getNow('b')).toBeUndefined();
    expect(cache.getNow('a')).toBeDefined();
    expect(cache.getNow('c')).toBeDefined();
  });

  it('evicts by bytes and expires after validity', () => {
    let t = 0;
    const cache = new InMemoryCache<string>({ type: 'in-memory', maxSizeBytes: 100, maxSizeItems: 0, validityMs: 1000 }, (v) => v.length, () => t);
    cache.put('a', 'x'.repeat(70));
    cache.put('b', 'y'.repeat(30));
    expect(cache.entries).toBe(1);
    expect(cache.getNow('b')).toBe('y'.repeat(30));
    cache.put('big', 'z'.repeat(200)); // larger than the whole cache: not stored
    expect(cache.getNow('big')).toBeUndefined();
    t = 1001;
    expect(cache.getNow('b')).toBeUndefined();
  });
});

describe('configuration', () => {
  it('reads Thanos\' IN-MEMORY YAML; no size at all means no cache', () => {
    expect(parseCacheConfig('type: IN-MEMORY\nconfig:\n  max_size: 64MB\n  validity: 1h\n', parseDuration)).toEqual({ type: 'in-memory', maxSizeBytes: 64 << 20, maxSizeItems: 0, validityMs: H });
    expect(parseCacheConfig('type: in-memory\nconfig:\n  max_size_items: 10\n', parseDuration)).toEqual({ type: 'in-memory', maxSizeBytes: 0, maxSizeItems: 10, validityMs: 0 });
    expect(parseCacheConfig('type: IN-MEMORY', parseDuration)).toBeNull();
    expect(() => parseCacheConfig('type: FOO', parseDuration)).toThrow(/not supported/);
    expect(parseBytes('1KB')).toBe(1024);
  });

  it('reads Thanos\' MEMCACHED and REDIS YAML with Thanos\' defaults; refuses unknown fields and bad addresses', () => {
    expect(parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: [127.0.0.1:11211, "[::1]:11212"]\n  max_item_size: 2MiB\n', parseDuration)).toEqual({
      type: 'memcached',
      addresses: ['127.0.0.1:11211', '[::1]:11212'],
      dnsUpdateIntervalMs: 10_000,
      timeoutMs: 500,
      maxIdleConnections: 100,
      maxItemSizeBytes: 2 << 20,
      expirationMs: D,
    });
    const redis = parseCacheConfig('type: REDIS\nconfig:\n  addr: localhost:6379\n  db: 2\n  read_timeout: 1s\n  expiration: 1h\n  max_async_concurrency: 20\n', parseDuration);
    expect(redis).toMatchObject({ type: 'redis', addr: 'localhost:6379', db: 2, readTimeoutMs: 1000, writeTimeoutMs: 3000, dialTimeoutMs: 5000, expirationMs: H, tls: null, masterName: '' });
    expect(() => parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: []\n', parseDuration)).toThrow(/no memcached addresses/);
    // Thanos' DNS discovery forms, looked up every dns_provider_update_interval.
    expect(parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: [dnssrv+_memcache._tcp.mc, dnssrvnoa+_mc._tcp.x, "dns+mc:11211"]\n  dns_provider_update_interval: 30s\n', parseDuration)).toMatchObject({
      addresses: ['dnssrv+_memcache._tcp.mc', 'dnssrvnoa+_mc._tcp.x', 'dns+mc:11211'],
      dnsUpdateIntervalMs: 30_000,
    });
    expect(() => parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: [mc]\n', parseDuration)).toThrow(/address "mc": expected host:port, dns\+host:port, dnssrv\+name or dnssrvnoa\+name \(the port is missing\)/);
    expect(() => parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: ["dns+mc"]\n', parseDuration)).toThrow(/the port is missing/);
    expect(() => parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: ["http://mc:11211"]\n', parseDuration)).toThrow(/address "http:\/\/mc:11211": expected host:port/);
    expect(() => parseCacheConfig('type: MEMCACHED\nconfig:\n  addresses: ["dnssrv+[::1]"]\n', parseDuration)).toThrow(/needs a name/);
    expect(() => parseCacheConfig('type: REDIS\nconfig:\n  addr: x:1\n  adress: y\n', parseDuration)).toThrow(/field adress not found/);
    expect(() => parseCacheConfig('type: REDIS\nconfig: {}\n', parseDuration)).toThrow(/no redis addr/);
    expect(() => parseCacheConfig('type: REDIS\nconfig:\n  addr: x:1\n  tls_enabled: true\n  tls_config:\n    ca_file: /nonexistent/ca.pem\n', parseDuration)).toThrow(/ca_file/);
  });

  it('formats durations as Go does', () => {
    expect(goDuration(48 * H)).toBe('48h0m0s');
    expect(goDuration(90_000)).toBe('1m30s');
    expect(goDuration(1500)).toBe('1.5s');
    expect(goDuration(500)).toBe('500ms');
  });
});

describe('labels and series requests', () => {
  it('splits at interval boundaries: every millisecond of the range in exactly one piece', () => {
    expect(splitByInterval(10, 20, 0)).toEqual([[10, 20]]);
    expect(splitByInterval(D - 5, 2 * D + 7, D)).toEqual([
      [D - 5, D - 1],
      [D, 2 * D - 1],
      [2 * D, 2 * D + 7],
    ]);
    expect(splitByInterval(D, D, D)).toEqual([[D, D]]);
    expect(splitByInterval(D - 1, D, D)).toEqual([
      [D - 1, D - 1],
      [D, D],
    ]);
  });

  it('unites label values and series, sorted; warnings united', () => {
    const a = decodeMetadata('{"status":"success","data":["b","a"],"warnings":["w1"]}')!;
    const b = decodeMetadata('{"status":"success","data":["c","a"]}')!;
    expect(encodeMetadata(mergeMetadata([a, b]))).toBe('{"status":"success","data":["a","b","c"],"warnings":["w1"]}');
    const s1 = decodeMetadata('{"status":"success","data":[{"__name__":"up","job":"b"}]}')!;
    const s2 = decodeMetadata('{"status":"success","data":[{"__name__":"up","job":"a"},{"__name__":"up","job":"b"}]}')!;
    expect(mergeMetadata([s1, s2]).data).toEqual([
      { __name__: 'up', job: 'a' },
      { __name__: 'up', job: 'b' },
    ]);
    expect(decodeMetadata('{"status":"success","data":null}')!.data).toEqual([]);
    expect(decodeMetadata('{"status":"error","error":"x"}')).toBeNull();
  });
});

describe('memcached key spreading', () => {
  it('jump hash: in range, spread evenly, and a new server takes keys only for itself', async () => {
    const { jumpHash } = await import('../../../src/frontend/memcached-store.js');
    const counts = [0, 0, 0];
    let moved = 0;
    for (let i = 0; i < 3000; i++) {
      const key = BigInt(i) * 0x9e3779b97f4a7c15n;
      const three = jumpHash(key, 3);
      const four = jumpHash(key, 4);
      expect(three).toBeGreaterThanOrEqual(0);
      expect(three).toBeLessThan(3);
      counts[three]!++;
      // Growing from 3 to 4 servers moves a key to the new one or not at all.
      if (four !== three) {
        expect(four).toBe(3);
        moved++;
      }
      expect(jumpHash(key, 1)).toBe(0);
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(moved).toBeGreaterThan(600);
    expect(moved).toBeLessThan(900);
  });
});
