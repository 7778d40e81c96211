import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlagError, parseAddress, parseEndpoint, parseQueryFlags, type RawQueryFlags } from '../../src/cmd/flags.js';

const defaults: RawQueryFlags = {
  httpAddress: '0.0.0.0:10902',
  grpcAddress: '0.0.0.0:10901',
  endpoint: ['http://a:9090'],
  'query.replicaLabel': [],
  'deduplication.func': 'penalty',
  'query.timeout': '2m',
  'query.lookbackDelta': '5m',
  'query.maxConcurrent': '20',
  'query.partialResponse': true,
  'query.promqlCompat': 'auto',
  'store.responseTimeout': '0ms',
  'query.maxSamples': '50000000',
  'store.limits.requestSeries': '0',
  'store.limits.requestSamples': '0',
  'log.level': 'info',
  'log.format': 'logfmt',
};

describe('parseQueryFlags', () => {
  it('applies Thanos defaults', () => {
    const c = parseQueryFlags(defaults);
    expect(c.httpAddress).toEqual({ host: '0.0.0.0', port: 10902 });
    expect(c.queryTimeout).toBe(120_000);
    expect(c.lookbackDelta).toBe(300_000);
    expect(c.maxConcurrent).toBe(20);
    expect(c.partialResponse).toBe(true);
    expect(c.storeResponseTimeout).toBe(0);
    expect(c.dedupFunc).toBe('penalty');
  });
  it('takes replica labels repeated and comma-separated', () => {
    const c = parseQueryFlags({ ...defaults, 'query.replicaLabel': ['replica,__replica__', 'prometheus_replica'] });
    expect(c.replicaLabels).toEqual(['replica', '__replica__', 'prometheus_replica']);
  });
  it('accepts every dedup function', () => {
    for (const f of ['penalty', 'chain', 'stable']) expect(parseQueryFlags({ ...defaults, 'deduplication.func': f }).dedupFunc).toBe(f);
  });
  it('rejects bad values with a reason', () => {
    expect(() => parseQueryFlags({ ...defaults, 'deduplication.func': 'magic' })).toThrow(FlagError);
    expect(() => parseQueryFlags({ ...defaults, 'query.timeout': '2 minutes' })).toThrow('--query.timeout');
    expect(() => parseQueryFlags({ ...defaults, 'query.maxConcurrent': '0' })).toThrow('--query.max-concurrent');
    expect(() => parseQueryFlags({ ...defaults, endpoint: [] })).toThrow('at least one --endpoint');
    expect(() => parseQueryFlags({ ...defaults, grpcServerTlsCert: '/tls/crt' })).toThrow('--grpc-server-tls-cert and --grpc-server-tls-key go together');
    expect(() => parseQueryFlags({ ...defaults, grpcServerTlsClientCa: '/tls/ca' })).toThrow('--grpc-server-tls-client-ca needs');
    expect(() => parseQueryFlags({ ...defaults, grpcClientTlsKey: '/tls/key' })).toThrow('--grpc-client-tls-cert and --grpc-client-tls-key go together');
  });
  it('parses endpoints and addresses', () => {
    expect(parseEndpoint('http://prom-a:9090/')).toBe('http://prom-a:9090');
    expect(parseEndpoint('https://host/prefix/')).toBe('https://host/prefix');
    expect(parseEndpoint('prom-a:10901')).toBe('prom-a:10901');
    expect(parseEndpoint('dnssrv+_grpc._tcp.store')).toBe('dnssrv+_grpc._tcp.store');
    expect(() => parseEndpoint('prom-a')).toThrow(FlagError);
    expect(() => parseEndpoint('ftp://prom-a:21')).toThrow(FlagError);
    expect(() => parseEndpoint('prom-a:99999')).toThrow(FlagError);
    expect(parseAddress('--x', ':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(parseAddress('--x', '[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseAddress('--x', 'nohost')).toThrow(FlagError);
  });
});

describe('promdedup binary', () => {
  const bin = 'dist/src/cmd/main.js';
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 });

  it.skipIf(!existsSync(bin))('documents every flag in --help', () => {
    const r = run('query', '--help');
    expect(r.status).toBe(0);
    for (const flag of [
      '--http-address',
      '--grpc-address',
      '--endpoint',
      '--query.replica-label',
      '--deduplication.func',
      '--query.timeout',
      '--query.lookback-delta',
      '--query.max-concurrent',
      '--query.partial-response',
      '--store.response-timeout',
      '--log.level',
      '--log.format',
    ]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it.skipIf(!existsSync(bin))('exits 2 with a one-line reason on a bad flag or value', () => {
    for (const args of [
      ['query', '--no-such-flag'],
      ['query', '--endpoint=http://a:9090', '--deduplication.func=magic'],
      ['query', '--endpoint=http://a:9090', '--query.timeout=soon'],
      ['query'],
    ]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^promdedup: error: /);
    }
  });
});
