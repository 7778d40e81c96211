/**
 * End to end: promdedup's security settings against real processes, with certificates made in the
 * test by `openssl` and bcrypt hashes by bcryptjs:
 * (a) --http.config on `promdedup query`: https with the generated certificate, basic auth (401 and
 *     `WWW-Authenticate: Basic` without or with wrong credentials, 200 with; health paths too, as
 *     Prometheus), http_server_config headers, CORS headers, reload of a changed password on SIGHUP,
 *     a bad file at reload keeping the previous one, a bad file at start exiting 2;
 * (b) mutual TLS (client_auth_type RequireAndVerifyClientCert): refused without a client certificate
 *     or with one from another CA, answered with one;
 * (c) endpoints behind security: one real Prometheus behind basic auth, one behind (mutual) TLS
 *     (its own --web.config.file), reached through --endpoint.sd-config-file / --endpoint.sd-config,
 *     answering /api/v1/query; bearer token (credentials_file) and extra headers seen by a recording
 *     HTTP server;
 * (d) secrets (endpoint passwords, tokens, the inline endpoint config, the users' passwords) absent
 *     from the logs and /api/v1/status/flags;
 * (e) --http.config on `promdedup ingest`.
 * (f) `promdedup query-frontend` over the mutual-TLS querier through --query-frontend.downstream-tripper-config-file
 *     (and refused without it), and the tripper config's errors.
 * The data are fixed samples at a fixed past time, so nothing depends on today's date.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/child-process.js';
import { startIngestProcess, type IngestProcess } from '../support/ingest-process.js';
import { startFrontendProcess, type FrontendProcess } from '../support/frontend-process.js';
import { freePort, prometheusAvailable, startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { ensureQuerierBuilt, querierEntryPoint, startQuerier, type QuerierProcess } from '../support/querier-process.js';
import { CLIENT_EXT, makePki, SERVER_EXT, type Pki } from '../support/pki.js';

const opensslOk = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
const runnable = opensslOk && prometheusAvailable();
if (!runnable) console.warn('security: openssl or prometheus/promtool not on PATH: skipping');

const T0 = 1_700_000_000_000;
const LIGHT = ['--query.workers=1', '--log.level=info'];

// Secrets: none of these may show in logs or flags.
const PROM_PASSWORD = 'prom-Pa55-c0rrect-horse';
const BEARER_TOKEN = 'tok-3b1f6f0d-secret';
const HEADER_SECRET = 'hdr-9f0e-secret';
const USER_PW_1 = 'first-Pa55word';
const USER_PW_2 = 'second-Pa55word';

/** CAs "ca" and "other" and the leaves this file uses. */
const makeTestPki = (): Pki =>
  makePki('promdedup-sec-', [
    { name: 'server', ca: 'ca', cn: 'localhost', ext: SERVER_EXT },
    // Only a name: reached at 127.0.0.1, it verifies with server_name prom.test alone.
    { name: 'named', ca: 'ca', cn: 'prom.test', ext: 'subjectAltName=DNS:prom.test\nextendedKeyUsage=serverAuth' },
    { name: 'client', ca: 'ca', cn: 'promdedup-client', ext: CLIENT_EXT },
    { name: 'other-client', ca: 'other', cn: 'intruder', ext: CLIENT_EXT },
  ]);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

interface ReqOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  user?: string;
  password?: string;
  headers?: Record<string, string>;
}

async function get(url: string, o: ReqOptions = {}): Promise<Answer> {
  const agent = new Agent({
    connect: {
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert, key: o.key } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
    },
  });
  try {
    const res = await request(url, {
      dispatcher: agent,
      headers: {
        ...(o.user !== undefined ? { authorization: `Basic ${Buffer.from(`${o.user}:${o.password ?? ''}`).toString('base64')}` } : {}),
        ...o.headers,
      },
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } finally {
    await agent.close();
  }
}

const readyWith = (o: ReqOptions) => async (url: string) => (await get(`${url}/-/ready`, o)).status === 200;

/** One gauge sec_metric{job="sec"} = value every 15 s over 10 minutes before T0. */
function history(value: number): string {
  const lines = ['# TYPE sec_metric gauge'];
  for (let t = T0 - 600_000; t <= T0; t += 15_000) lines.push(`sec_metric{job="sec"} ${value} ${(t / 1000).toFixed(3)}`);
  return lines.join('\n') + '\n# EOF\n';
}

interface Recorded {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

describe.skipIf(!runnable)('security: --http.config, endpoint auth, CORS, redaction', () => {
  let pki: Pki;
  let dir: string;
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(x: T): T => {
    started.push(x);
    return x;
  };
  let promAuth: PrometheusServer;
  let promTls: PrometheusServer;
  let recorder: Server;
  let recorderUrl = '';
  const recorded: Recorded[] = [];
  let querier: QuerierProcess;
  let mtlsQuerier: QuerierProcess;
  let webFile: string;
  let inlineEndpointConfig = '';

  const hashOf = (pw: string) => bcrypt.hashSync(pw, 4);
  const webConfig = (pw: string) =>
    [
      'tls_server_config:',
      `  cert_file: ${pki.file('server.crt')}`,
      `  key_file: ${pki.file('server.key')}`,
      'http_server_config:',
      '  headers:',
      '    X-Frame-Options: deny',
      '    Strict-Transport-Security: max-age=31536000',
      'basic_auth_users:',
      `  admin: '${hashOf(pw)}'`,
      '',
    ].join('\n');

  beforeAll(async () => {
    ensureQuerierBuilt();
    pki = makeTestPki();
    dir = pki.dir;

    // A Prometheus behind basic auth and one behind mutual TLS with a certificate for prom.test only.
    writeFileSync(join(dir, 'prom-auth.yml'), `basic_auth_users:\n  prom: '${hashOf(PROM_PASSWORD)}'\n`);
    writeFileSync(
      join(dir, 'prom-tls.yml'),
      [
        'tls_server_config:',
        `  cert_file: ${pki.file('named.crt')}`,
        `  key_file: ${pki.file('named.key')}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        `  client_ca_file: ${pki.file('ca.crt')}`,
        '',
      ].join('\n'),
    );
    const promClient = { ca: pki.read('ca.crt'), cert: pki.read('client.crt'), key: pki.read('client.key'), servername: 'prom.test' };
    [promAuth, promTls] = await Promise.all([
      startPrometheus({
        externalLabels: { replica: 'a' },
        openMetrics: history(1),
        extraArgs: [`--web.config.file=${join(dir, 'prom-auth.yml')}`],
        ready: readyWith({ user: 'prom', password: PROM_PASSWORD }),
      }).then(track),
      startPrometheus({
        externalLabels: { replica: 'b' },
        openMetrics: history(1),
        extraArgs: [`--web.config.file=${join(dir, 'prom-tls.yml')}`],
        scheme: 'https',
        ready: readyWith(promClient),
      }).then(track),
    ]);

    // A recording server: answers 503, keeps what it was sent.
    recorder = createServer((req, res) => {
      recorded.push({ path: req.url ?? '', headers: req.headers });
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('recorder\n');
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    const addr = recorder.address();
    recorderUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

    writeFileSync(join(dir, 'prom-password'), `${PROM_PASSWORD}\n`);
    writeFileSync(join(dir, 'token'), `${BEARER_TOKEN}\n`);
    const endpointConfig = [
      'endpoints:',
      `  - address: ${promAuth.url}`,
      '    client_config:',
      '      basic_auth:',
      '        username: prom',
      `        password_file: ${join(dir, 'prom-password')}`,
      `  - address: ${promTls.url}`,
      '    client_config:',
      '      tls_config:',
      `        ca_file: ${pki.file('ca.crt')}`,
      `        cert_file: ${pki.file('client.crt')}`,
      `        key_file: ${pki.file('client.key')}`,
      '        server_name: prom.test',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'endpoints.yml'), endpointConfig);
    // The inline one holds the password itself (and the recorder with a token and a header).
    inlineEndpointConfig = [
      'endpoints:',
      `  - address: ${promAuth.url}`,
      '    client_config:',
      '      basic_auth: { username: prom, password: ' + JSON.stringify(PROM_PASSWORD) + ' }',
      `  - address: ${promTls.url}`,
      '    client_config:',
      `      tls_config: { ca_file: ${JSON.stringify(pki.file('ca.crt'))}, cert_file: ${JSON.stringify(pki.file('client.crt'))}, key_file: ${JSON.stringify(pki.file('client.key'))}, server_name: prom.test }`,
      `  - address: ${recorderUrl}`,
      '    client_config:',
      `      authorization: { type: Bearer, credentials_file: ${JSON.stringify(join(dir, 'token'))} }`,
      `      headers: { X-Scope-OrgID: team-a, X-Api-Key: ${HEADER_SECRET} }`,
      '',
    ].join('\n');

    webFile = join(dir, 'web.yml');
    writeFileSync(webFile, webConfig(USER_PW_1));
    writeFileSync(
      join(dir, 'web-mtls.yml'),
      [
        'tls_server_config:',
        `  cert_file: ${pki.file('server.crt')}`,
        `  key_file: ${pki.file('server.key')}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        `  client_ca_file: ${pki.file('ca.crt')}`,
        '  min_version: TLS12',
        '',
      ].join('\n'),
    );
    const ca = pki.read('ca.crt');
    [querier, mtlsQuerier] = await Promise.all([
      startQuerier({
        endpoints: [],
        extraArgs: [...LIGHT, `--http.config=${webFile}`, `--endpoint.sd-config-file=${join(dir, 'endpoints.yml')}`, '--web.cors.origin=https?://grafana\\.example(:\\d+)?'],
        scheme: 'https',
        ready: readyWith({ ca, user: 'admin', password: USER_PW_1 }),
      }).then(track),
      startQuerier({
        endpoints: [],
        extraArgs: [...LIGHT, `--http.config=${join(dir, 'web-mtls.yml')}`, `--endpoint.sd-config=${inlineEndpointConfig}`],
        scheme: 'https',
        ready: readyWith({ ca, cert: pki.read('client.crt'), key: pki.read('client.key') }),
      }).then(track),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
    if (recorder !== undefined) await new Promise<void>((r) => recorder.close(() => r()));
    if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
  });

  const admin = (pw: string): ReqOptions => ({ ca: pki.read('ca.crt'), user: 'admin', password: pw });
  const queryUrl = (base: string, dedup: boolean) =>
    `${base}/api/v1/query?query=${encodeURIComponent('sec_metric')}&time=${T0 / 1000}&dedup=${dedup}`;

  it('serves https with the configured certificate; plain http is not answered', async () => {
    const res = await get(`${querier.url}/-/healthy`, admin(USER_PW_1));
    expect(res.status).toBe(200);
    await expect(get(querier.url.replace('https:', 'http:') + '/-/healthy')).rejects.toThrow();
    // Not trusted without the CA.
    await expect(get(`${querier.url}/-/healthy`, { user: 'admin', password: USER_PW_1 })).rejects.toThrow(/certificate/i);
  });

  it('asks for credentials on every path (401, WWW-Authenticate: Basic) and answers with the right ones', async () => {
    const ca = pki.read('ca.crt');
    for (const path of ['/api/v1/query?query=1', '/-/healthy', '/-/ready', '/metrics', '/api/v1/status/flags']) {
      const none = await get(querier.url + path, { ca });
      expect(none.status, path).toBe(401);
      expect(none.headers['www-authenticate'], path).toBe('Basic');
      const wrong = await get(querier.url + path, { ca, user: 'admin', password: 'nope' });
      expect(wrong.status, path).toBe(401);
      const unknown = await get(querier.url + path, { ca, user: 'mallory', password: USER_PW_1 });
      expect(unknown.status, path).toBe(401);
    }
    const ok = await get(`${querier.url}/api/v1/query?query=1`, admin(USER_PW_1));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ status: 'success', data: { resultType: 'scalar' } });
  });

  it('adds http_server_config.headers to responses, the 401s included', async () => {
    const ok = await get(`${querier.url}/-/healthy`, admin(USER_PW_1));
    expect(ok.headers['x-frame-options']).toBe('deny');
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
    const denied = await get(`${querier.url}/-/healthy`, { ca: pki.read('ca.crt') });
    expect(denied.headers['x-frame-options']).toBe('deny');
  });

  it('queries a Prometheus behind basic auth and one behind mutual TLS (sd-config file)', async () => {
    const raw = JSON.parse((await get(queryUrl(querier.url, false), admin(USER_PW_1))).text) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      warnings?: string[];
    };
    expect(raw.status).toBe('success');
    expect(raw.warnings ?? []).toEqual([]);
    expect(raw.data.result.map((r) => r.metric).sort((x, y) => (x['replica']! < y['replica']! ? -1 : 1))).toEqual([
      { __name__: 'sec_metric', job: 'sec', replica: 'a' },
      { __name__: 'sec_metric', job: 'sec', replica: 'b' },
    ]);
    const merged = JSON.parse((await get(queryUrl(querier.url, true), admin(USER_PW_1))).text) as typeof raw;
    expect(merged.data.result).toEqual([{ metric: { __name__: 'sec_metric', job: 'sec' }, value: [T0 / 1000, '1'] }]);
    // The replica labels above are the endpoints' external labels, read from their HTTP API
    // (/api/v1/status/config); label values come from it too, without warnings.
    const labels = JSON.parse((await get(`${querier.url}/api/v1/label/job/values`, admin(USER_PW_1))).text) as { data: string[]; warnings?: string[] };
    expect(labels.data).toEqual(['sec']);
    expect(labels.warnings ?? []).toEqual([]);
  });

  it('sets CORS headers on API responses for matching origins only', async () => {
    const match = await get(`${querier.url}/api/v1/status/buildinfo`, { ...admin(USER_PW_1), headers: { origin: 'https://grafana.example:3000' } });
    expect(match.headers['access-control-allow-origin']).toBe('https://grafana.example:3000');
    expect(match.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(match.headers['vary']).toBe('Origin');
    const other = await get(`${querier.url}/api/v1/status/buildinfo`, { ...admin(USER_PW_1), headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const none = await get(`${querier.url}/api/v1/status/buildinfo`, admin(USER_PW_1));
    expect(none.headers['access-control-allow-headers']).toBeUndefined();
    // The default .* answers any Origin with *.
    const dflt = await get(`${mtlsQuerier.url}/api/v1/status/buildinfo`, {
      ca: pki.read('ca.crt'), cert: pki.read('client.crt'), key: pki.read('client.key'), headers: { origin: 'http://anything' },
    });
    expect(dflt.headers['access-control-allow-origin']).toBe('*');
  });

  it('mutual TLS: refused without a client certificate or with one from another CA, answered with one', async () => {
    const ca = pki.read('ca.crt');
    await expect(get(`${mtlsQuerier.url}/-/healthy`, { ca })).rejects.toThrow();
    await expect(get(`${mtlsQuerier.url}/-/healthy`, { ca, cert: pki.read('other-client.crt'), key: pki.read('other-client.key') })).rejects.toThrow();
    const ok = await get(queryUrl(mtlsQuerier.url, true), { ca, cert: pki.read('client.crt'), key: pki.read('client.key') });
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.text) as { data: { result: unknown[] }; warnings?: string[] };
    expect(body.data.result).toEqual([{ metric: { __name__: 'sec_metric', job: 'sec' }, value: [T0 / 1000, '1'] }]);
    // The third endpoint (the recorder) failed: a partial-response warning, without its secrets.
    expect((body.warnings ?? []).join('\n')).toContain(recorderUrl);
    expect(JSON.stringify(body)).not.toContain(BEARER_TOKEN);
  });

  it('sends the bearer token from credentials_file and the extra headers', async () => {
    const seen = recorded.filter((r) => r.path.startsWith('/api/v1/'));
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.headers['authorization']).toBe(`Bearer ${BEARER_TOKEN}`);
      expect(r.headers['x-scope-orgid']).toBe('team-a');
      expect(r.headers['x-api-key']).toBe(HEADER_SECRET);
    }
    expect(seen.some((r) => r.path === '/api/v1/read')).toBe(true);
  });

  it('reads a rotated token file on the next request, without a reload', async () => {
    const rotated = `${BEARER_TOKEN}-rotated`;
    writeFileSync(join(dir, 'token'), `${rotated}\n`);
    try {
      const before = recorded.length;
      const ok = await get(queryUrl(mtlsQuerier.url, true), { ca: pki.read('ca.crt'), cert: pki.read('client.crt'), key: pki.read('client.key') });
      expect(ok.status).toBe(200);
      const reads = recorded.slice(before).filter((r) => r.path === '/api/v1/read');
      expect(reads.length).toBeGreaterThan(0);
      for (const r of reads) expect(r.headers['authorization']).toBe(`Bearer ${rotated}`);
    } finally {
      writeFileSync(join(dir, 'token'), `${BEARER_TOKEN}\n`);
    }
  });

  it('keeps secrets out of /api/v1/status/flags and the logs', async () => {
    const flags = JSON.parse((await get(`${mtlsQuerier.url}/api/v1/status/flags`, { ca: pki.read('ca.crt'), cert: pki.read('client.crt'), key: pki.read('client.key') })).text) as {
      data: Record<string, string>;
    };
    expect(flags.data['endpoint.sd-config']).toBe('<secret>');
    expect(flags.data['http.config']).toBe(join(dir, 'web-mtls.yml'));
    const flags1 = (await get(`${querier.url}/api/v1/status/flags`, admin(USER_PW_1))).text;
    expect(JSON.parse(flags1).data['endpoint.sd-config-file']).toBe(join(dir, 'endpoints.yml'));
    for (const text of [JSON.stringify(flags), flags1, querier.logs(), mtlsQuerier.logs()]) {
      for (const secret of [PROM_PASSWORD, BEARER_TOKEN, HEADER_SECRET, USER_PW_1, Buffer.from(`prom:${PROM_PASSWORD}`).toString('base64')]) {
        expect(text).not.toContain(secret);
      }
    }
  });

  it('reloads a changed password on SIGHUP; a bad file at reload keeps the previous one', async () => {
    writeFileSync(webFile, webConfig(USER_PW_2));
    process.kill(querier.pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await get(`${querier.url}/-/healthy`, admin(USER_PW_2))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`the new password was not taken:\n${querier.logs()}`);
      await sleep(100);
    }
    expect((await get(`${querier.url}/-/healthy`, admin(USER_PW_1))).status).toBe(401);

    writeFileSync(webFile, 'basic_auth_users:\n  admin: not-a-hash\n');
    process.kill(querier.pid, 'SIGHUP');
    const until = Date.now() + 10_000;
    while (!/reload failed/.test(querier.logs())) {
      if (Date.now() > until) throw new Error(`no reload failure logged:\n${querier.logs()}`);
      await sleep(100);
    }
    expect(querier.logs()).toMatch(/not a bcrypt hash/);
    expect((await get(`${querier.url}/-/healthy`, admin(USER_PW_2))).status).toBe(200);
    expect(querier.logs()).not.toContain(USER_PW_2);
  });

  it('re-reads --endpoint.sd-config-file on SIGHUP; a bad file keeps the endpoints', async () => {
    const file = join(dir, 'endpoints.yml');
    const original = readFileSync(file, 'utf8');
    const replicas = async (): Promise<{ replicas: string[]; warnings: string[] }> => {
      const body = JSON.parse((await get(queryUrl(querier.url, false), admin(USER_PW_2))).text) as {
        data: { result: { metric: Record<string, string> }[] };
        warnings?: string[];
      };
      return { replicas: body.data.result.map((r) => r.metric['replica']!).sort(), warnings: body.warnings ?? [] };
    };
    const hup = async (until: (r: { replicas: string[]; warnings: string[] }) => boolean, what: string) => {
      process.kill(querier.pid, 'SIGHUP');
      const deadline = Date.now() + 15_000;
      for (;;) {
        const r = await replicas();
        if (until(r)) return r;
        if (Date.now() > deadline) throw new Error(`${what}: got ${JSON.stringify(r)}\n${querier.logs()}`);
        await sleep(200);
      }
    };
    try {
      // The basic-auth endpoint with a wrong password: its reads fail with 401, a warning.
      writeFileSync(file, original.replace(`password_file: ${join(dir, 'prom-password')}`, 'password: wrong-password-for-test'));
      // (A query racing the swap may see the old store closed: wait for the new one's 401.)
      const wrong = await hup((r) => r.replicas.join() === 'b' && r.warnings.some((w) => /401/.test(w)), 'wrong password');
      expect(wrong.warnings.join('\n')).toMatch(/401/);
      expect(wrong.warnings.join('\n')).not.toContain('wrong-password-for-test');
      // A file that cannot be used: logged, the endpoints stay as they were.
      writeFileSync(file, 'endpoints: [{ address: https://x, client_config: { oauth2: {} } }]\n');
      process.kill(querier.pid, 'SIGHUP');
      const until = Date.now() + 10_000;
      while (!/--endpoint\.sd-config-file: .*unknown field oauth2.*keeping the previous endpoints/.test(querier.logs())) {
        if (Date.now() > until) throw new Error(`no reload failure logged:\n${querier.logs()}`);
        await sleep(100);
      }
      expect((await replicas()).replicas).toEqual(['b']);
    } finally {
      writeFileSync(file, original);
    }
    const back = await hup((r) => r.replicas.join() === 'a,b' && r.warnings.length === 0, 'original file');
    expect(back.replicas).toEqual(['a', 'b']);
    expect(querier.logs()).not.toContain(PROM_PASSWORD);
  });

  it('exits 2 with the reason when --http.config cannot be used at start', async () => {
    const bad = join(dir, 'bad-web.yml');
    writeFileSync(bad, `tls_server_config:\n  cert_file: ${pki.file('server.crt')}\n`);
    const port = await freePort();
    const grpc = await freePort();
    const run = (file: string) =>
      spawnSync(process.execPath, [querierEntryPoint(), 'query', `--http-address=127.0.0.1:${port}`, `--grpc-address=127.0.0.1:${grpc}`, `--endpoint=${promAuth.url}`, `--http.config=${file}`], {
        encoding: 'utf8',
        timeout: 30_000,
      });
    const missingKey = run(bad);
    expect(missingKey.status).toBe(2);
    expect(missingKey.stderr).toMatch(/--http\.config: .*missing key_file/);
    const missing = run(join(dir, 'no-such-file.yml'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT/);
    writeFileSync(bad, 'basic_auth_users:\n  admin: x\nunknown_section: 1\n');
    const unknown = run(bad);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown_section/);
  });

  describe('promdedup ingest', () => {
    let ingest: IngestProcess;
    let file = '';
    beforeAll(async () => {
      file = join(dir, 'web-ingest.yml');
      writeFileSync(file, webConfig(USER_PW_1));
      ingest = track(
        await startIngestProcess([`--remote-write.url=${recorderUrl}/api/v1/write`, `--http.config=${file}`], {
          scheme: 'https',
          ready: readyWith(admin(USER_PW_1)),
        }),
      );
    }, 60_000);

    it('serves https with basic auth and the headers', async () => {
      const none = await get(`${ingest.url}/-/ready`, { ca: pki.read('ca.crt') });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic');
      const ok = await get(`${ingest.url}/-/ready`, admin(USER_PW_1));
      expect(ok.status).toBe(200);
      expect(ok.headers['x-frame-options']).toBe('deny');
      expect(ingest.logs()).not.toContain(USER_PW_1);
    });

    it('re-reads the file when it changes (no signal needed), and on SIGHUP without exiting', async () => {
      const waitFor = async (pw: string) => {
        const deadline = Date.now() + 15_000;
        while ((await get(`${ingest.url}/-/ready`, admin(pw))).status !== 200) {
          if (Date.now() > deadline) throw new Error(`password not taken:\n${ingest.logs()}`);
          await sleep(200);
        }
      };
      writeFileSync(file, webConfig(USER_PW_2));
      await waitFor(USER_PW_2);
      expect((await get(`${ingest.url}/-/ready`, admin(USER_PW_1))).status).toBe(401);
      expect(ingest.logs()).toMatch(/reloaded --http.config after a change/);
      writeFileSync(file, webConfig(USER_PW_1));
      process.kill(ingest.child.pid!, 'SIGHUP');
      await waitFor(USER_PW_1);
      expect(ingest.child.exitCode).toBeNull();
      expect(ingest.logs()).not.toContain(USER_PW_2);
    });
  });

  describe('promdedup query-frontend', () => {
    let fe: FrontendProcess;
    let file = '';
    beforeAll(async () => {
      file = join(dir, 'web-frontend.yml');
      writeFileSync(file, webConfig(USER_PW_1));
      fe = track(await startFrontendProcess(recorderUrl, [`--http.config=${file}`, '--query-range.max-retries-per-request=1'], { scheme: 'https', ready: readyWith(admin(USER_PW_1)) }));
    }, 60_000);

    it('serves https with basic auth and the headers; only authorized requests reach the downstream', async () => {
      const none = await get(`${fe.url}/api/v1/query_range?query=sec_metric&start=${(T0 - 600_000) / 1000}&end=${T0 / 1000}&step=60`, { ca: pki.read('ca.crt') });
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Basic');
      await expect(get(fe.url.replace('https:', 'http:') + '/-/ready')).rejects.toThrow();
      expect(recorded.filter((r) => r.path.includes('/api/v1/query_range'))).toHaveLength(0);
      // The recording downstream answers 503: the frontend passes its answer on.
      const ok = await get(`${fe.url}/api/v1/query_range?query=sec_metric&start=${(T0 - 600_000) / 1000}&end=${T0 / 1000}&step=60`, admin(USER_PW_1));
      expect(ok.status).toBe(503);
      expect(ok.text).toBe('recorder\n');
      expect(ok.headers['x-frame-options']).toBe('deny');
      expect(recorded.filter((r) => r.path.includes('/api/v1/query_range'))).toHaveLength(1);
      process.kill(fe.child.pid!, 'SIGHUP');
      await sleep(300);
      expect(fe.child.exitCode).toBeNull();
      expect(fe.logs()).not.toContain(USER_PW_1);
    });
  });

  describe('promdedup query-frontend over the mutual-TLS querier', () => {
    // Step-aligned (the frontend floors start and end to the step, as Thanos').
    const range = (base: string): string => `${base}/api/v1/query_range?query=sec_metric&start=${(T0 - 600_000) / 1000}&end=${T0 / 1000}&step=20`;
    const client = (): ReqOptions => ({ ca: pki.read('ca.crt'), cert: pki.read('client.crt'), key: pki.read('client.key') });

    it('reaches it with --query-frontend.downstream-tripper-config-file tls_config; without it, a 502 naming the certificate', async () => {
      const tripper = join(dir, 'tripper.yml');
      writeFileSync(tripper, ['tls_handshake_timeout: 5s', 'tls_config:', `  ca_file: ${pki.file('ca.crt')}`, `  cert_file: ${pki.file('client.crt')}`, `  key_file: ${pki.file('client.key')}`, ''].join('\n'));
      const [fe, bare] = await Promise.all([
        startFrontendProcess(mtlsQuerier.url, [`--query-frontend.downstream-tripper-config-file=${tripper}`]).then(track),
        startFrontendProcess(mtlsQuerier.url, ['--query-range.max-retries-per-request=1']).then(track),
      ]);
      const direct = await get(range(mtlsQuerier.url), client());
      expect(direct.status).toBe(200);
      const via = await get(range(fe.url));
      expect(via.status).toBe(200);
      expect(JSON.parse(via.text)).toEqual(JSON.parse(direct.text));
      // Its start-up check of the querier's flags went over the same TLS client: the querier runs penalty dedup.
      const deadline = Date.now() + 10_000;
      while (!/deduplication.func=penalty/.test(fe.logs()) && Date.now() < deadline) await sleep(100);
      expect(fe.logs()).toMatch(/level=warn .*--deduplication.func=penalty: split and cached answers can differ/);

      const refused = await get(range(bare.url));
      expect(refused.status).toBe(502);
      expect(refused.text).toMatch(/certificate/i);
    });

    it('exits 2 with the reason on a bad tripper config', () => {
      const bad = [
        ['--query-frontend.downstream-tripper-config=max_conns_per_host: -1', /max_conns_per_host: expected an integer >= 0/],
        ['--query-frontend.downstream-tripper-config=tls_config: { ca_file: /nonexistent/ca.crt }', /tls_config.ca_file "\/nonexistent\/ca.crt": ENOENT/],
        ['--query-frontend.downstream-tripper-config=dial_timeout: 1s', /unknown field dial_timeout/],
        ['--query-frontend.downstream-tripper-config-file=/nonexistent/tripper.yml', /tripper.yml.*ENOENT/],
      ] as const;
      for (const [flag, message] of bad) {
        const r = spawnSync(process.execPath, [querierEntryPoint(), 'query-frontend', '--http-address=127.0.0.1:0', flag], { encoding: 'utf8', timeout: 20_000 });
        expect(r.status, flag).toBe(2);
        expect(r.stderr, flag).toMatch(message);
      }
    });
  });
});
