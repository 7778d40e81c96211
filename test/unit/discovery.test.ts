/**
 * Endpoint discovery without DNS: spec parsing, the file_sd format and globs, file SD through
 * real files in a temporary directory (fs.watch, the interval re-read, bad files), and that
 * stop() leaves nothing running.
 */
import { createHook } from 'node:async_hooks';
import { createSocket } from 'node:dgram';
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DnsResolver,
  EndpointDiscovery,
  endpointKey,
  expandSdPattern,
  FileSd,
  parseEndpointSpec,
  parseSdPattern,
  parseTargetGroups,
  staticEndpoint,
  type DiscoveredEndpoint,
  type EndpointDiscoveryOptions,
} from '../../src/store/discovery/index.js';
import { createLogger } from '../../src/util/log.js';
import { TestDnsServer } from '../support/dns-server.js';

const EXPECTED = 'expected host:port, dns+host:port, dnssrv+name or an http(s):// URL';

describe('parseEndpointSpec', () => {
  it('reads http(s) URLs as static Prometheus endpoints', () => {
    expect(parseEndpointSpec('http://prom:9090')).toEqual({
      text: 'http://prom:9090',
      kind: 'prometheus',
      resolution: 'static',
      host: 'prom',
      port: 9090,
      scheme: 'http',
      pathPrefix: '',
    });
    const https = parseEndpointSpec('https://Prom.example/prefix/');
    expect(https).toMatchObject({ kind: 'prometheus', host: 'prom.example', port: 443, scheme: 'https', pathPrefix: '/prefix' });
    expect(staticEndpoint(https)).toEqual({ kind: 'prometheus', address: 'https://prom.example/prefix' });
    expect(staticEndpoint(parseEndpointSpec('http://[::1]:9090/'))).toEqual({ kind: 'prometheus', address: 'http://[::1]:9090' });
    expect(staticEndpoint(parseEndpointSpec('http://prom:80/x'))).toEqual({ kind: 'prometheus', address: 'http://prom/x' });
  });

  it('reads host:port as a static gRPC endpoint, IPv6 in brackets', () => {
    expect(parseEndpointSpec('store:10901')).toEqual({
      text: 'store:10901',
      kind: 'grpc',
      resolution: 'static',
      host: 'store',
      port: 10901,
      scheme: undefined,
      pathPrefix: '',
    });
    expect(parseEndpointSpec('[::1]:10901')).toMatchObject({ kind: 'grpc', host: '::1', port: 10901 });
    expect(staticEndpoint(parseEndpointSpec('[::1]:10901'))).toEqual({ kind: 'grpc', address: '[::1]:10901' });
    expect(staticEndpoint(parseEndpointSpec('10.0.0.1:1'))).toEqual({ kind: 'grpc', address: '10.0.0.1:1' });
    expect(endpointKey(staticEndpoint(parseEndpointSpec('store.ns.svc:65535')))).toBe('grpc:store.ns.svc:65535');
    expect(endpointKey(staticEndpoint(parseEndpointSpec('http://1.2.3.4:9090')))).toBe('prometheus:http://1.2.3.4:9090');
  });

  it('reads dns+, dnssrv+ and dnssrvnoa+ prefixes, for both kinds', () => {
    expect(parseEndpointSpec('dns+store:10901')).toMatchObject({ kind: 'grpc', resolution: 'dns', host: 'store', port: 10901 });
    expect(parseEndpointSpec('dns+http://prom:9090/p')).toMatchObject({ kind: 'prometheus', resolution: 'dns', host: 'prom', port: 9090, pathPrefix: '/p' });
    expect(parseEndpointSpec('dns+https://prom')).toMatchObject({ kind: 'prometheus', resolution: 'dns', port: 443, scheme: 'https' });
    expect(parseEndpointSpec('dnssrv+_grpc._tcp.store.ns')).toMatchObject({ kind: 'grpc', resolution: 'dnssrv', host: '_grpc._tcp.store.ns', port: undefined });
    expect(parseEndpointSpec('dnssrv+_grpc._tcp.store.ns:19000')).toMatchObject({ resolution: 'dnssrv', port: 19000 });
    expect(parseEndpointSpec('dnssrvnoa+_grpc._tcp.store.ns')).toMatchObject({ kind: 'grpc', resolution: 'dnssrvnoa', port: undefined });
    expect(parseEndpointSpec('dnssrv+http://_prom._tcp.prom.ns/prefix')).toMatchObject({
      kind: 'prometheus',
      resolution: 'dnssrv',
      host: '_prom._tcp.prom.ns',
      port: undefined,
      pathPrefix: '/prefix',
    });
    expect(parseEndpointSpec('dnssrvnoa+https://_prom._tcp.prom.ns')).toMatchObject({ kind: 'prometheus', resolution: 'dnssrvnoa', scheme: 'https' });
    expect(() => staticEndpoint(parseEndpointSpec('dns+store:1'))).toThrow(/not a static endpoint/);
  });

  it('rejects what it cannot use, saying why', () => {
    const cases: Array<[string, string]> = [
      ['foo', `--endpoint "foo": ${EXPECTED} (the port is missing)`],
      ['', `--endpoint "": ${EXPECTED}`],
      ['dns+', `--endpoint "dns+": ${EXPECTED}`],
      ['dns+store', `--endpoint "dns+store": ${EXPECTED} (the port is missing)`],
      ['store:0', '--endpoint "store:0": port "0" must be 1-65535'],
      ['store:65536', '--endpoint "store:65536": port "65536" must be 1-65535'],
      ['store:http', '--endpoint "store:http": port "http" must be 1-65535'],
      ['store:', '--endpoint "store:": port "" must be 1-65535'],
      ['::1:10901', `--endpoint "::1:10901": ${EXPECTED} (IPv6 addresses go in brackets, as [::1]:10901)`],
      ['[store]:1', '--endpoint "[store]:1": "store" is not an IPv6 address'],
      ['st ore:1', '--endpoint "st ore:1": "st ore" is not a host name or IP address'],
      ['store:1/path', `--endpoint "store:1/path": ${EXPECTED}`],
      ['dnssrv+[::1]:1', '--endpoint "dnssrv+[::1]:1": an SRV lookup needs a name, not an IP address'],
      ['dnssrv+http://10.0.0.1', '--endpoint "dnssrv+http://10.0.0.1": an SRV lookup needs a name, not an IP address'],
      ['ftp://files:21', '--endpoint "ftp://files:21": the scheme must be http or https'],
      ['http://prom:9090/?x=1', '--endpoint "http://prom:9090/?x=1": no query string or fragment allowed'],
      ['http://u:p@prom:9090', '--endpoint "http://u:xxxxx@prom:9090": credentials in the URL are not supported'], // the password is never repeated
      ['http://prom:99999', '--endpoint "http://prom:99999": not a valid URL'],
    ];
    for (const [text, message] of cases) expect(() => parseEndpointSpec(text), text).toThrow(message);
    expect(() => parseEndpointSpec('foo', 'target')).toThrow(/^target "foo": expected/);
    try {
      parseEndpointSpec('foo');
    } catch (err) {
      expect((err as Error).name).toBe('EndpointSpecError');
    }
  });
});

describe('parseTargetGroups', () => {
  it('reads JSON and YAML groups', () => {
    expect(parseTargetGroups('[{"targets": ["a:1", "b:2"], "labels": {"env": "prod"}}, {"targets": []}]', 'json')).toEqual([
      { targets: ['a:1', 'b:2'], labels: { env: 'prod' } },
      { targets: [], labels: {} },
    ]);
    expect(parseTargetGroups('- targets: [a:1]\n- targets:\n    - http://p:9090\n  labels:\n    dc: x\n- labels: {}\n', 'yaml')).toEqual([
      { targets: ['a:1'], labels: {} },
      { targets: ['http://p:9090'], labels: { dc: 'x' } },
      { targets: [], labels: {} },
    ]);
    expect(parseTargetGroups('', 'yaml')).toEqual([]);
    expect(parseTargetGroups('- targets:\n', 'yaml')).toEqual([{ targets: [], labels: {} }]);
  });

  it('rejects malformed files with the reason', () => {
    expect(() => parseTargetGroups('', 'json')).toThrow(/^not valid JSON/);
    expect(() => parseTargetGroups('[{', 'json')).toThrow(/^not valid JSON/);
    expect(() => parseTargetGroups('- [a', 'yaml')).toThrow(/^not valid YAML/);
    expect(() => parseTargetGroups('{"targets": ["a:1"]}', 'json')).toThrow('expected a list of target groups');
    expect(() => parseTargetGroups('["a:1"]', 'json')).toThrow('group 1: expected an object with targets and labels');
    expect(() => parseTargetGroups('[{"targets": "a:1"}]', 'json')).toThrow('group 1: targets must be a list of strings');
    expect(() => parseTargetGroups('[{"targets": [1]}]', 'json')).toThrow('group 1: targets must be a list of strings');
    expect(() => parseTargetGroups('[{}, {"target": ["a:1"]}]', 'json')).toThrow('group 2: unknown field "target" (expected targets and labels)');
    expect(() => parseTargetGroups('[{"labels": {"a": 1}}]', 'json')).toThrow('group 1: label "a" must have a string value');
    expect(() => parseTargetGroups('[{"labels": []}]', 'json')).toThrow('group 1: labels must be a map of strings');
  });
});

describe('file SD patterns', () => {
  it('matches * and ? in the file name only, and wants a .json, .yml or .yaml name', () => {
    const p = parseSdPattern('/etc/sd/t?-*.json');
    expect(p.dir).toBe('/etc/sd');
    expect(['t1-a.json', 't2-.json', 'tx-b.c.json', '.t1-a.json', 't12-a.json', 't1-a.json.bak', 't-a.json'].filter((n) => p.matches(n))).toEqual([
      't1-a.json',
      't2-.json',
      'tx-b.c.json',
    ]);
    expect(parseSdPattern('/etc/sd/a+b(1).yml').matches('a+b(1).yml')).toBe(true);
    expect(parseSdPattern('/etc/sd/a+b(1).yml').matches('aab1.yml')).toBe(false);
    expect(() => parseSdPattern('/etc/*/t.json')).toThrow('--store.sd-files "/etc/*/t.json": wildcards are allowed in the file name only, not in directories');
    expect(() => parseSdPattern('/etc/sd/*')).toThrow('the file name must end in .json, .yml or .yaml');
    expect(() => parseSdPattern('/etc/sd/t.txt')).toThrow('the file name must end in .json, .yml or .yaml');
    expect(() => parseSdPattern('/etc/sd/t[12].json')).toThrow('character classes ([...]) are not supported');
    expect(() => parseSdPattern('')).toThrow('expected a file path or a pattern');
  });
});

/** Polls until `ok()`, failing after `ms`. */
async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const keys = (endpoints: readonly DiscoveredEndpoint[]): string[] => endpoints.map((e) => e.key);
const json = (targets: string[][]): string => JSON.stringify(targets.map((t) => ({ targets: t })));

interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A discovery with its changes and log lines recorded. */
function recorded(options: EndpointDiscoveryOptions) {
  const changes: DiscoveredEndpoint[][] = [];
  const logs: LogLine[] = [];
  const discovery = new EndpointDiscovery({
    dnsIntervalMs: 60_000,
    sdIntervalMs: 60_000,
    ...options,
    logger: createLogger('debug', 'json', (line) => logs.push(JSON.parse(line) as LogLine)),
    onChange: (current) => changes.push([...current]),
  });
  return { discovery, changes, logs };
}

let dir: string;
let n = 0;
/** A fresh directory per test, under one removed in afterAll. */
async function freshDir(): Promise<string> {
  const d = join(dir, `t${++n}`);
  await mkdir(d);
  return d;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promdedup-discovery-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EndpointDiscovery with static specs', () => {
  it('lists them sorted and deduplicated, strict winning, and reports the first set once', async () => {
    const { discovery, changes } = recorded({
      endpoints: ['b:1', 'http://p:9090/', 'a:1', 'http://p:9090', '[::1]:2'],
      strictEndpoints: ['a:1'],
    });
    expect(discovery.current()).toEqual([]);
    await discovery.start();
    expect(discovery.current()).toEqual([
      { key: 'grpc:[::1]:2', kind: 'grpc', address: '[::1]:2', strict: false, source: '[::1]:2' },
      { key: 'grpc:a:1', kind: 'grpc', address: 'a:1', strict: true, source: 'a:1' },
      { key: 'grpc:b:1', kind: 'grpc', address: 'b:1', strict: false, source: 'b:1' },
      { key: 'prometheus:http://p:9090', kind: 'prometheus', address: 'http://p:9090', strict: false, source: 'http://p:9090/' },
    ]);
    expect(changes).toHaveLength(1);
    await discovery.start();
    await discovery.stop();
    await discovery.stop();
    expect(changes).toHaveLength(1);
  });

  it('refuses bad specs, dynamic strict endpoints and bad intervals when constructed', () => {
    expect(() => new EndpointDiscovery({ endpoints: ['nope'] })).toThrow(`--endpoint "nope": ${EXPECTED}`);
    expect(() => new EndpointDiscovery({ strictEndpoints: ['dns+store:1'] })).toThrow(
      '--endpoint-strict "dns+store:1": strict endpoints must be static (no dns+, dnssrv+ or dnssrvnoa+); use --endpoint for discovered ones',
    );
    expect(() => new EndpointDiscovery({ sdFiles: ['/x/*/y.json'] })).toThrow('wildcards are allowed in the file name only');
    expect(() => new EndpointDiscovery({ dnsIntervalMs: 0 })).toThrow('dnsIntervalMs: 0 is not an interval');
    expect(() => new EndpointDiscovery({ sdFiles: ['/x/y.json'], sdIntervalMs: 2 ** 31 })).toThrow('sdIntervalMs');
  });
});

describe('EndpointDiscovery with file SD', () => {
  it('reads JSON and YAML files and follows their changes through fs.watch', async () => {
    const d = await freshDir();
    const a = join(d, 'a.json');
    const b = join(d, 'b.yml');
    await writeFile(a, json([['store-1:10901', 'http://prom-1:9090'], ['store-2:10901']]));
    await writeFile(b, '- targets: [store-3:10901]\n  labels: {zone: b}\n');
    // The interval is a minute: only watching can explain changes seen within seconds.
    const { discovery, changes } = recorded({ sdFiles: [join(d, '*.json'), join(d, '*.yml')] });
    await discovery.start();
    expect(discovery.current()).toEqual([
      { key: 'grpc:store-1:10901', kind: 'grpc', address: 'store-1:10901', strict: false, source: a },
      { key: 'grpc:store-2:10901', kind: 'grpc', address: 'store-2:10901', strict: false, source: a },
      { key: 'grpc:store-3:10901', kind: 'grpc', address: 'store-3:10901', strict: false, source: b },
      { key: 'prometheus:http://prom-1:9090', kind: 'prometheus', address: 'http://prom-1:9090', strict: false, source: a },
    ]);
    expect(changes).toHaveLength(1);

    await writeFile(a, json([['store-1:10901', 'store-4:10901']]));
    await until('the edit of a.json', () => changes.length === 2);
    expect(keys(changes[1]!)).toEqual(['grpc:store-1:10901', 'grpc:store-3:10901', 'grpc:store-4:10901']);

    await writeFile(b, '- targets: []\n');
    await until('the edit of b.yml', () => changes.length === 3);
    expect(keys(changes[2]!)).toEqual(['grpc:store-1:10901', 'grpc:store-4:10901']);

    // A new file matching the pattern, written elsewhere and renamed in as tools do.
    await writeFile(join(dir, 'c.tmp'), json([['store-5:10901']]));
    await rename(join(dir, 'c.tmp'), join(d, 'c.json'));
    await until('c.json', () => changes.length === 4);
    expect(keys(changes[3]!)).toEqual(['grpc:store-1:10901', 'grpc:store-4:10901', 'grpc:store-5:10901']);

    await unlink(a);
    await until('the removal of a.json', () => changes.length === 5);
    expect(keys(changes[4]!)).toEqual(['grpc:store-5:10901']);
    expect(changes).toHaveLength(5);
    await discovery.stop();
  });

  it('re-reads on the interval without any file event', async () => {
    const d = await freshDir();
    const file = join(d, 'targets.yaml');
    await writeFile(file, '- targets: [a:1]\n');
    let changed = 0;
    // Events only re-read after an hour here, so the 200 ms interval is what must see the edit.
    const sd = new FileSd({ files: [file], intervalMs: 200, debounceMs: 3_600_000, onChange: () => changed++ });
    await sd.start();
    expect(sd.targets().map((t) => [t.file, t.spec.text])).toEqual([[file, 'a:1']]);
    expect(changed).toBe(1);
    // Renamed in whole: a re-read between truncation and write would see an empty YAML file, which is no targets.
    await writeFile(join(dir, 'targets.tmp'), '- targets: [a:1, b:2]\n');
    await rename(join(dir, 'targets.tmp'), file);
    await until('the interval re-read', () => changed === 2);
    expect(sd.targets().map((t) => t.spec.text)).toEqual(['a:1', 'b:2']);
    await sd.stop();
  });

  it('keeps the previous targets of a file that does not parse, and says why', async () => {
    const d = await freshDir();
    const file = join(d, 'targets.json');
    await writeFile(file, json([['a:1', 'b:1']]));
    const { discovery, changes, logs } = recorded({ sdFiles: [file] });
    await discovery.start();
    expect(keys(discovery.current())).toEqual(['grpc:a:1', 'grpc:b:1']);

    const warnings = () => logs.filter((l) => l.level === 'warn' && l.msg === 'file SD: cannot use file, keeping its previous targets');
    await writeFile(file, '[{"targets": ["a:1"');
    await until('a warning about the broken file', () => warnings().length >= 1);
    expect(warnings()[0]).toMatchObject({ file, previous_targets: 2, err: expect.stringMatching(/^TargetGroupsError: not valid JSON/) });
    expect(keys(discovery.current())).toEqual(['grpc:a:1', 'grpc:b:1']);

    await writeFile(file, json([['a:1', 'not a target']]));
    await until('a warning about the bad target', () => warnings().some((w) => String(w.err).includes('target "not a target"')));
    expect(keys(discovery.current())).toEqual(['grpc:a:1', 'grpc:b:1']);
    expect(changes).toHaveLength(1);

    await writeFile(file, json([['a:1']]));
    await until('the fixed file', () => changes.length === 2);
    expect(keys(discovery.current())).toEqual(['grpc:a:1']);
    await discovery.stop();
  });

  it('expands globs to the matching files only, and merges them with flag endpoints', async () => {
    const d = await freshDir();
    for (const [name, target] of [
      ['t1.json', 'one:1'],
      ['t2.json', 'two:1'],
      ['t10.json', 'ten:1'],
      ['t3.yaml', 'three:1'],
      ['.t4.json', 'four:1'],
    ]) {
      await writeFile(join(d, name!), json([[target!, 'shared:1']]));
    }
    expect(await expandSdPattern(parseSdPattern(join(d, '*.json')))).toEqual([join(d, '.t4.json'), join(d, 't1.json'), join(d, 't10.json'), join(d, 't2.json')]);
    expect(await expandSdPattern(parseSdPattern(join(d, 'missing', '*.json')))).toEqual([]);

    const { discovery } = recorded({ sdFiles: [join(d, 't?.json'), join(d, 'missing', '*.yml')], endpoints: ['shared:1'], strictEndpoints: ['one:1'] });
    await discovery.start();
    expect(discovery.current()).toEqual([
      { key: 'grpc:one:1', kind: 'grpc', address: 'one:1', strict: true, source: 'one:1' },
      { key: 'grpc:shared:1', kind: 'grpc', address: 'shared:1', strict: false, source: 'shared:1' },
      { key: 'grpc:two:1', kind: 'grpc', address: 'two:1', strict: false, source: join(d, 't2.json') },
    ]);
    await discovery.stop();
  });
});

/**
 * Watches timers, fs watchers, sockets and fs requests created while `body` runs; returns those
 * still alive afterwards. Referenced timers are vitest's own (discovery's are all unref'd).
 */
async function leftBehind(body: () => Promise<void>): Promise<string[]> {
  const watched = new Set(['Timeout', 'FSEVENTWRAP', 'STATWATCHER', 'UDPWRAP', 'TCPWRAP', 'QUERYWRAP', 'GETADDRINFOREQWRAP', 'FSREQCALLBACK', 'FSREQPROMISE']);
  const alive = new Map<number, { type: string; resource: unknown }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (watched.has(type)) alive.set(id, { type, resource });
    },
    destroy(id) {
      alive.delete(id);
    },
  });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
  hook.enable();
  try {
    await body();
    await settle();
  } finally {
    hook.disable();
  }
  return [...alive.values()]
    .filter(({ type, resource }) => !(type === 'Timeout' && (resource as { hasRef(): boolean }).hasRef()))
    .map(({ type }) => type);
}

function countTypes(types: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of types) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/** Resources keeping the loop alive that were not there before. */
function newActiveResources(before: readonly string[]): string[] {
  const was = countTypes(before);
  const extra: string[] = [];
  for (const [type, count] of countTypes(process.getActiveResourcesInfo())) if (count > (was.get(type) ?? 0)) extra.push(type);
  return extra;
}

describe('EndpointDiscovery.stop', () => {
  it('leaves no timer, watcher, socket or lookup behind', async () => {
    const dns = await TestDnsServer.start({ 'store.test': { A: ['10.0.0.1'] }, '_grpc._tcp.s.test': { SRV: [{ port: 1, target: 'store.test' }] } });
    try {
      const d1 = await freshDir();
      const d2 = await freshDir();
      await writeFile(join(d1, 'a.json'), json([['a:1', 'dns+store.test:2']]));
      await writeFile(join(d2, 'b.yml'), '- targets: [b:1]\n');
      const before = process.getActiveResourcesInfo();
      const leaks = await leftBehind(async () => {
        const { discovery, changes } = recorded({
          endpoints: ['dns+store.test:1', 'dnssrv+_grpc._tcp.s.test', 'static:1'],
          sdFiles: [join(d1, '*.json'), join(d2, '*.yml')],
          sdIntervalMs: 100,
          dnsIntervalMs: 100,
          resolver: new DnsResolver({ servers: [dns.address], timeoutMs: 500, tries: 1 }),
        });
        await discovery.start();
        expect(keys(discovery.current())).toEqual(['grpc:10.0.0.1:1', 'grpc:10.0.0.1:2', 'grpc:a:1', 'grpc:b:1', 'grpc:static:1']);
        await writeFile(join(d2, 'b.yml'), '- targets: [b:2]\n');
        await until('the edit', () => changes.length === 2);
        await discovery.stop();
      });
      expect(leaks).toEqual([]);
      expect(newActiveResources(before)).toEqual([]);
    } finally {
      await dns.close();
    }
  });

  it('ends a start still waiting for its first lookups', async () => {
    // A DNS "server" that never answers: the first resolution cannot finish by itself before the timeout.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const before = process.getActiveResourcesInfo();
      const leaks = await leftBehind(async () => {
        const { discovery } = recorded({
          endpoints: ['dns+store.test:1'],
          resolver: new DnsResolver({ servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 300, tries: 1 }),
        });
        const started = discovery.start();
        await discovery.stop();
        await started;
        expect(discovery.current()).toEqual([]);
      });
      expect(leaks).toEqual([]);
      expect(newActiveResources(before)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
