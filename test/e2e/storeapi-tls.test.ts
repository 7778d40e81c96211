/**
 * End to end: TLS and mutual TLS on both sides of promdedup's StoreAPI, with certificates made in
 * the test by the `openssl` CLI (a CA, a second unrelated CA, server certificates with
 * SAN DNS:localhost,IP:127.0.0.1 or only DNS:store.test, client certificates):
 * (a) promdedup's server with --grpc-server-tls-cert/-key, called by a @grpc/grpc-js client;
 * (b) with --grpc-server-tls-client-ca: clients without a (trusted) certificate are refused;
 * (c) promdedup as a client of TLS fake stores: --grpc-client-tls-secure with --grpc-client-tls-ca,
 *     --grpc-client-server-name, --grpc-client-tls-skip-verify;
 * (d) mutual TLS as a client: --grpc-client-tls-cert/-key.
 */
import { credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet } from '../support/compare.js';
import { range, samplesAt, selectFrames, startFakeStore, type FakeStore } from '../support/fake-store.js';
import { storeApiClient } from '../support/grpc-client.js';
import { ensureQuerierBuilt, startQuerier, type QuerierProcess } from '../support/querier-process.js';
import { CLIENT_EXT, makePki, SERVER_EXT, type Pki } from '../support/pki.js';

const opensslOk = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
if (!opensslOk) console.warn('storeapi-tls: openssl not on PATH: skipping');

const T0 = 1_700_000_000_000;
const LIGHT = ['--query.workers=1', '--log.level=warn'];

/** CAs "ca" and "other" and the leaves this file uses. */
const makeTestPki = (): Pki =>
  makePki('promdedup-tls-', [
    { name: 'server', ca: 'ca', cn: 'localhost', ext: SERVER_EXT },
    { name: 'named', ca: 'ca', cn: 'store.test', ext: 'subjectAltName=DNS:store.test\nextendedKeyUsage=serverAuth' },
    { name: 'client', ca: 'ca', cn: 'promdedup-client', ext: CLIENT_EXT },
    { name: 'other-server', ca: 'other', cn: 'localhost', ext: SERVER_EXT },
    { name: 'other-client', ca: 'other', cn: 'intruder', ext: CLIENT_EXT },
  ]);

const fail = async (p: Promise<unknown>): Promise<ServiceError> => {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
};

describe.skipIf(!opensslOk)('StoreAPI over TLS', () => {
  let pki: Pki;
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(x: T): T => {
    started.push(x);
    return x;
  };

  /** A fake store whose one series `tls_up{store=<name>}` = value. */
  const fake = (name: string, value: number, tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer }) =>
    startFakeStore({
      ...(tls !== undefined ? { tls } : {}),
      series: (req) => ({ frames: selectFrames(req, [{ series: { labels: { __name__: 'tls_up', store: name }, chunks: [{ raw: samplesAt(T0, 15_000, range(0, 4), () => value) }] } }]) }),
    }).then(track);

  beforeAll(() => {
    ensureQuerierBuilt();
    pki = makeTestPki();
  }, 300_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------------------------
  describe('promdedup\'s server', () => {
    let plain: FakeStore;
    let tlsServer: QuerierProcess;
    let mtlsServer: QuerierProcess;

    beforeAll(async () => {
      plain = await fake('plain', 1);
      const serverTls = [`--grpc-server-tls-cert=${pki.file('server.crt')}`, `--grpc-server-tls-key=${pki.file('server.key')}`];
      [tlsServer, mtlsServer] = await Promise.all([
        startQuerier({ endpoints: [plain.address], extraArgs: [...LIGHT, ...serverTls] }).then(track),
        startQuerier({ endpoints: [plain.address], extraArgs: [...LIGHT, ...serverTls, `--grpc-server-tls-client-ca=${pki.file('ca.crt')}`] }).then(track),
      ]);
    }, 60_000);

    const info = (port: number, creds = credentials.createInsecure(), options: Record<string, string> = {}) => {
      const c = storeApiClient(`127.0.0.1:${port}`, creds, options);
      return c.unary<{ ComponentType: string }>('thanos.info.Info', 'Info', {}, 5_000).finally(() => c.close());
    };

    it('(a) TLS: a client trusting the CA gets Info; Series works too', async () => {
      expect((await info(tlsServer.grpcPort, credentials.createSsl(pki.read('ca.crt')))).ComponentType).toBe('query');
      // By name, as a client would dial localhost.
      const byName = storeApiClient(`localhost:${tlsServer.grpcPort}`, credentials.createSsl(pki.read('ca.crt')));
      try {
        const s = await byName.series({ min_time: T0, max_time: T0 + 60_000, matchers: [{ type: 0, name: '__name__', value: 'tls_up' }] });
        expect(s.series.map((x) => x.labels)).toEqual([[{ name: '__name__', value: 'tls_up' }, { name: 'store', value: 'plain' }]]);
      } finally {
        byName.close();
      }
    });

    it('(a) TLS: a plaintext client and a client not trusting the CA are refused', async () => {
      expect((await fail(info(tlsServer.grpcPort))).code).toBe(GrpcStatus.UNAVAILABLE);
      expect((await fail(info(tlsServer.grpcPort, credentials.createSsl(pki.read('other.crt'))))).code).toBe(GrpcStatus.UNAVAILABLE);
    });

    it('(b) client CA: without a certificate refused, with one from the CA accepted, from another CA refused', async () => {
      expect((await fail(info(mtlsServer.grpcPort, credentials.createSsl(pki.read('ca.crt'))))).code).toBe(GrpcStatus.UNAVAILABLE);
      const ok = await info(mtlsServer.grpcPort, credentials.createSsl(pki.read('ca.crt'), pki.read('client.key'), pki.read('client.crt')));
      expect(ok.ComponentType).toBe('query');
      expect((await fail(info(mtlsServer.grpcPort, credentials.createSsl(pki.read('ca.crt'), pki.read('other-client.key'), pki.read('other-client.crt'))))).code).toBe(
        GrpcStatus.UNAVAILABLE,
      );
      // And it keeps serving.
      expect((await info(mtlsServer.grpcPort, credentials.createSsl(pki.read('ca.crt'), pki.read('client.key'), pki.read('client.crt')))).ComponentType).toBe('query');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('promdedup as a client', () => {
    let tlsStore: FakeStore;
    let namedStore: FakeStore;
    let otherStore: FakeStore;
    let mtlsStore: FakeStore;
    let plainStore: FakeStore;
    let withCa: QuerierProcess;
    let withName: QuerierProcess;
    let skipVerify: QuerierProcess;
    let withCert: QuerierProcess;

    beforeAll(async () => {
      [tlsStore, namedStore, otherStore, mtlsStore, plainStore] = await Promise.all([
        fake('tls', 1, { cert: pki.read('server.crt'), key: pki.read('server.key') }),
        fake('named', 2, { cert: pki.read('named.crt'), key: pki.read('named.key') }),
        fake('other', 3, { cert: pki.read('other-server.crt'), key: pki.read('other-server.key') }),
        fake('mtls', 4, { cert: pki.read('server.crt'), key: pki.read('server.key'), clientCa: pki.read('ca.crt') }),
        fake('plain', 5),
      ]);
      const secure = ['--grpc-client-tls-secure', `--grpc-client-tls-ca=${pki.file('ca.crt')}`];
      [withCa, withName, skipVerify, withCert] = await Promise.all([
        startQuerier({ endpoints: [tlsStore.address, namedStore.address, otherStore.address, mtlsStore.address, plainStore.address], extraArgs: [...LIGHT, ...secure] }),
        startQuerier({ endpoints: [namedStore.address], extraArgs: [...LIGHT, ...secure, '--grpc-client-server-name=store.test'] }),
        startQuerier({ endpoints: [otherStore.address, namedStore.address], extraArgs: [...LIGHT, '--grpc-client-tls-secure', '--grpc-client-tls-skip-verify'] }),
        startQuerier({
          endpoints: [mtlsStore.address, tlsStore.address],
          extraArgs: [...LIGHT, ...secure, `--grpc-client-tls-cert=${pki.file('client.crt')}`, `--grpc-client-tls-key=${pki.file('client.key')}`],
        }),
      ].map((p) => p.then(track)));
    }, 60_000);

    const query = (q: QuerierProcess) => apiGet(q.url, '/api/v1/query', { query: 'tls_up', time: (T0 + 45_000) / 1000 });
    const stores = (r: Awaited<ReturnType<typeof query>>) =>
      (r.body.data as { result: { metric: Record<string, string>; value: [number, string] }[] }).result.map((s) => `${s.metric.store}=${s.value[1]}`).sort();
    const unhealthy = (r: Awaited<ReturnType<typeof query>>, s: FakeStore) =>
      (r.body.warnings ?? []).some((w) => w.startsWith(`endpoint ${s.address} is unhealthy and was not asked`));

    it('(c) --grpc-client-tls-secure --grpc-client-tls-ca: the store with a certificate from the CA for 127.0.0.1 answers', async () => {
      const r = await query(withCa);
      expect(r.httpStatus).toBe(200);
      expect(stores(r)).toEqual(['tls=1']);
      // Every other one fails its Info: a name mismatch, an unknown CA, no client certificate, no TLS.
      for (const s of [namedStore, otherStore, mtlsStore, plainStore]) expect(unhealthy(r, s), `${s.address}: ${JSON.stringify(r.body.warnings)}`).toBe(true);
      expect(unhealthy(r, tlsStore)).toBe(false);
    });

    it('(c) --grpc-client-server-name: the certificate is checked against that name', async () => {
      const r = await query(withName);
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(stores(r)).toEqual(['named=2']);
    });

    it('(c) --grpc-client-tls-skip-verify: a certificate from an unknown CA, or for another name, is accepted', async () => {
      const r = await query(skipVerify);
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(stores(r)).toEqual(['named=2', 'other=3']);
    });

    it('(d) --grpc-client-tls-cert/-key: a store requiring client certificates answers', async () => {
      const r = await query(withCert);
      expect(r.httpStatus).toBe(200);
      expect(r.body.warnings ?? []).toEqual([]);
      expect(stores(r)).toEqual(['mtls=4', 'tls=1']);
      expect(mtlsStore.seriesRequests.length).toBeGreaterThan(0);
    });
  });
});
