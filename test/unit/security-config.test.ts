/**
 * The security configuration parsers and the web-config holder: --http.config (Prometheus
 * web-config format), --endpoint.sd-config client configs, the query frontend's downstream tripper
 * config, --web.cors.origin and URL redaction.
 * The TLS reload case runs a real https server on a free port with certificates made by openssl.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsHeaders, parseCorsOrigin } from '../../src/api/cors.js';
import { parseWebConfig, WebConfigError, WebConfigHolder } from '../../src/api/web-config.js';
import { ClientConfigError, parseEndpointConfig } from '../../src/store/prometheus/client-config.js';
import { redactUrl } from '../../src/util/redact.js';
import { DEFAULT_DOWNSTREAM_OPTIONS, parseTripperConfig } from '../../src/frontend/tripper-config.js';
import { parseDuration } from '../../src/promql/parser.js';

const HASH = bcrypt.hashSync('pw', 4);
const files: Record<string, Buffer> = { 'c.crt': Buffer.from('CERT'), 'c.key': Buffer.from('KEY'), 'ca.crt': Buffer.from('CA'), pw: Buffer.from('s3cret\n'), tok: Buffer.from('t0ken\n') };
const read = (f: string): Buffer => {
  const b = files[f];
  if (b === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return b;
};
const web = (text: string) => parseWebConfig(text, 'web.yml', read);

describe('--http.config parsing', () => {
  it('reads TLS, users and headers', () => {
    const c = web(
      [
        'tls_server_config:',
        '  cert_file: c.crt',
        '  key_file: c.key',
        '  client_auth_type: RequireAndVerifyClientCert',
        '  client_ca_file: ca.crt',
        '  min_version: TLS13',
        '  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]',
        '  curve_preferences: [X25519, CurveP256]',
        'http_server_config:',
        '  http2: true',
        '  headers: { x-frame-options: SAMEORIGIN, Content-Security-Policy: "default-src \'self\'" }',
        'basic_auth_users:',
        `  alice: '${HASH}'`,
      ].join('\n'),
    );
    expect(c.tls).toMatchObject({
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLSv1.3',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305',
      ecdhCurve: 'X25519:P-256',
    });
    expect(c.tls!.cert.toString()).toBe('CERT');
    expect(c.headers).toEqual({ 'X-Frame-Options': 'SAMEORIGIN', 'Content-Security-Policy': "default-src 'self'" });
    expect([...c.users.keys()]).toEqual(['alice']);
  });

  it('is plain HTTP without a certificate; TLS 1.2 is the default minimum', () => {
    expect(web('basic_auth_users: {}').tls).toBeNull();
    expect(web('').tls).toBeNull();
    expect(web('tls_server_config: { cert_file: c.crt, key_file: c.key }').tls!.minVersion).toBe('TLSv1.2');
  });

  it.each([
    ['nonsense: 1', /field nonsense not found/],
    ['tls_server_config: { cert_file: c.crt }', /missing key_file/],
    ['tls_server_config: { key_file: c.key }', /missing cert_file/],
    ['tls_server_config: { cert_file: c.crt, key_file: c.key, client_ca_file: ca.crt }', /Client CA's have been configured without a Client Auth Policy/],
    ['tls_server_config: { cert_file: c.crt, key_file: c.key, client_auth_type: RequireAndVerifyClientCert }', /needs client_ca_file/],
    ['tls_server_config: { cert_file: c.crt, key_file: c.key, client_auth_type: Sometimes }', /client_auth_type "Sometimes"/],
    ['tls_server_config: { cert_file: c.crt, key_file: c.key, min_version: TLS9 }', /unknown TLS version/],
    ['tls_server_config: { cert_file: c.crt, key_file: c.key, cipher_suites: [TLS_NULL] }', /unknown name "TLS_NULL"/],
    ['tls_server_config: { cert_file: missing.crt, key_file: c.key }', /cert_file "missing.crt": ENOENT/],
    ['http_server_config: { headers: { Server: x } }', /HTTP header "Server" can not be configured/],
    ['http_server_config: { headers: { X-Frame-Options: allow } }', /invalid value for X-Frame-Options/],
    ['basic_auth_users: { alice: plaintext-password }', /basic_auth_users.alice: not a bcrypt hash/],
    ['basic_auth_users: [alice]', /expected a mapping/],
    ['{{', /invalid YAML/],
  ])('rejects %s', (text, message) => {
    expect(() => web(text)).toThrow(WebConfigError);
    expect(() => web(text)).toThrow(message);
  });

  it('never repeats a rejected password value', () => {
    expect(() => web('basic_auth_users: { alice: hunter2 }')).toThrow(/^(?!.*hunter2)/s);
  });
});

describe('basic auth checks', () => {
  const holder = new WebConfigHolder('', web(`basic_auth_users: { alice: '${HASH}' }`));
  const req = (auth?: string) => ({ headers: auth === undefined ? {} : { authorization: auth } }) as import('node:http').IncomingMessage;
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it('accepts the right password only, for a known user only', async () => {
    expect(await holder.authorized(holder.config, req(basic('alice', 'pw')))).toBe(true);
    expect(await holder.authorized(holder.config, req(basic('alice', 'pw')))).toBe(true); // cached
    expect(await holder.authorized(holder.config, req(basic('alice', 'PW')))).toBe(false);
    expect(await holder.authorized(holder.config, req(basic('bob', 'pw')))).toBe(false);
    expect(await holder.authorized(holder.config, req(basic('alice', '')))).toBe(false);
    expect(await holder.authorized(holder.config, req())).toBe(false);
    expect(await holder.authorized(holder.config, req('Bearer pw'))).toBe(false);
    expect(await holder.authorized(holder.config, req('Basic !!!'))).toBe(false);
  });
});

describe('--endpoint.sd-config parsing', () => {
  const parse = (text: string) => parseEndpointConfig(text, 'ep.yml', read);

  it('merges default_client_config with each endpoint\'s client_config', () => {
    const c = parse(
      [
        'default_client_config:',
        '  tls_config: { ca_file: ca.crt, server_name: prom.internal }',
        '  headers: { X-Scope-OrgID: team }',
        '  basic_auth: { username: u, password_file: pw }',
        'endpoints:',
        '  - address: https://a:9090',
        '  - address: https://b:9090',
        '    strict: true',
        '    client_config:',
        '      authorization: { credentials_file: tok }',
        '  - address: c:10901',
      ].join('\n'),
    );
    expect(c.endpoints.map((e) => [e.address, e.strict])).toEqual([['https://a:9090', false], ['https://b:9090', true], ['c:10901', false]]);
    const [a, b, grpc] = c.endpoints;
    expect(a!.client!.headers).toEqual({ 'x-scope-orgid': 'team', authorization: `Basic ${Buffer.from('u:s3cret').toString('base64')}` });
    expect(a!.client!.tls).toEqual({ ca: files['ca.crt'], servername: 'prom.internal' });
    // The endpoint's authorization replaces the default's basic_auth.
    expect(b!.client!.headers).toEqual({ 'x-scope-orgid': 'team', authorization: 'Bearer t0ken' });
    expect(grpc!.client).toBeNull();
  });

  it('reads password and token files again on every use of the header', () => {
    const c = parse('endpoints: [{ address: https://a, client_config: { authorization: { credentials_file: tok } } }, { address: https://b, client_config: { basic_auth: { username: u, password_file: pw } } }]');
    const [tok, basic] = c.endpoints.map((e) => e.client!.headers);
    expect({ ...tok }).toEqual({ authorization: 'Bearer t0ken' });
    files['tok'] = Buffer.from('n3w\n');
    files['pw'] = Buffer.from('rotated');
    try {
      expect({ ...tok }).toEqual({ authorization: 'Bearer n3w' });
      expect({ ...basic }).toEqual({ authorization: `Basic ${Buffer.from('u:rotated').toString('base64')}` });
      delete files['tok'];
      expect(() => ({ ...tok })).toThrow(/credentials_file "tok": ENOENT/);
    } finally {
      files['tok'] = Buffer.from('t0ken\n');
      files['pw'] = Buffer.from('s3cret\n');
    }
  });

  it('reads bearer_token, client certificates and insecure_skip_verify', () => {
    const c = parse('endpoints: [{ address: https://a, client_config: { bearer_token: abc, tls_config: { cert_file: c.crt, key_file: c.key, insecure_skip_verify: true } } }]');
    expect(c.endpoints[0]!.client).toEqual({ headers: { authorization: 'Bearer abc' }, tls: { cert: files['c.crt'], key: files['c.key'], rejectUnauthorized: false } });
  });

  it.each([
    ['endpoints: [{ address: https://a, client_config: { basic_auth: { username: u, password: p }, bearer_token: t } }]', /at most one of basic_auth, authorization and bearer_token/],
    ['endpoints: [{ address: https://a, client_config: { basic_auth: { password: p } } }]', /username is required/],
    ['endpoints: [{ address: https://a, client_config: { headers: { Authorization: x } } }]', /set Authorization with basic_auth or authorization/],
    ['endpoints: [{ address: https://a, client_config: { tls_config: { cert_file: c.crt } } }]', /cert_file and key_file go together/],
    ['endpoints: [{ address: https://a, client_config: { basic_auth: { username: u, password_file: nope } } }]', /password_file "nope": ENOENT/],
    ['endpoints: [{ address: a:10901, client_config: { bearer_token: t } }]', /StoreAPI endpoints use the --grpc-client-tls-\* flags/],
    ['endpoints: [{ address: https://a, client_config: { oauth2: {} } }]', /unknown field oauth2/],
    ['endpoints: [{ strict: true }]', /address is required/],
    ['endpoints: [{ address: https://a, group: true }]', /group endpoints are not supported/],
  ])('rejects %s', (text, message) => {
    expect(() => parse(text)).toThrow(ClientConfigError);
    expect(() => parse(text)).toThrow(message);
  });

  it('does not quote the YAML (which may hold a password) when it cannot be parsed', () => {
    let message = '';
    try {
      parse('endpoints:\n  - address: https://a\n    client_config: { basic_auth: { username: u, password: "hunter2 } }\n');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^ep\.yml: invalid YAML/);
    expect(message).not.toContain('hunter2');
  });
});

describe('--query-frontend.downstream-tripper-config parsing', () => {
  const tripper = (text: string) => parseTripperConfig(text, 'tripper.yml', parseDuration, read);

  it('keeps Go\'s transport defaults for what is unset or zero', () => {
    expect(tripper('')).toEqual(DEFAULT_DOWNSTREAM_OPTIONS);
    expect(tripper('idle_conn_timeout: 0s\nmax_conns_per_host: 0')).toEqual(DEFAULT_DOWNSTREAM_OPTIONS);
  });

  it('reads timeouts, the connection limit and tls_config', () => {
    const c = tripper(
      [
        'idle_conn_timeout: 1m30s',
        'response_header_timeout: 2m',
        'tls_handshake_timeout: 3s',
        'expect_continue_timeout: 1s',
        'max_idle_conns: 100',
        'max_idle_conns_per_host: 100',
        'max_conns_per_host: 32',
        'tls_config: { ca_file: ca.crt, cert_file: c.crt, key_file: c.key, server_name: querier.internal, insecure_skip_verify: false }',
      ].join('\n'),
    );
    expect(c).toEqual({
      idleConnTimeoutMs: 90_000,
      responseHeaderTimeoutMs: 120_000,
      connectTimeoutMs: 3_000,
      maxConnsPerHost: 32,
      tls: { ca: Buffer.from('CA'), cert: Buffer.from('CERT'), key: Buffer.from('KEY'), servername: 'querier.internal' },
    });
    expect(tripper('tls_config: { insecure_skip_verify: true }').tls).toEqual({ rejectUnauthorized: false });
  });

  it('names the field of every mistake', () => {
    const bad: [string, RegExp][] = [
      ['dial_timeout: 1s', /tripper.yml: unknown field dial_timeout/],
      ['idle_conn_timeout: soon', /tripper.yml.idle_conn_timeout: /],
      ['idle_conn_timeout: 30', /tripper.yml.idle_conn_timeout: expected a duration/],
      ['max_conns_per_host: -1', /tripper.yml.max_conns_per_host: expected an integer >= 0/],
      ['max_idle_conns: lots', /tripper.yml.max_idle_conns: expected an integer >= 0/],
      ['tls_config: { ca_file: missing.crt }', /tripper.yml.tls_config.ca_file "missing.crt": ENOENT/],
      ['tls_config: { cert_file: c.crt }', /tripper.yml.tls_config: cert_file and key_file go together/],
      ['tls_config: [ca.crt]', /tripper.yml.tls_config: expected a mapping/],
      ['- 1', /tripper.yml: expected a mapping/],
      ['a: [', /tripper.yml: invalid YAML at line/],
    ];
    for (const [text, message] of bad) expect(() => tripper(text), text).toThrow(message);
    expect(() => tripper('dial_timeout: 1s')).toThrow(ClientConfigError);
  });
});

describe('--web.cors.origin', () => {
  it('answers * for the default and the Origin itself when the anchored regexp matches', () => {
    expect(corsHeaders(parseCorsOrigin('.*'), 'http://x')['Access-Control-Allow-Origin']).toBe('*');
    expect(corsHeaders(parseCorsOrigin('.*'), undefined)).toEqual({});
    const re = parseCorsOrigin('https://(a|b)\\.example');
    expect(corsHeaders(re, 'https://a.example')['Access-Control-Allow-Origin']).toBe('https://a.example');
    expect(corsHeaders(re, 'https://a.example.evil')['Access-Control-Allow-Origin']).toBeUndefined();
    expect(corsHeaders(re, 'https://a.example.evil')['Vary']).toBe('Origin');
    expect(() => parseCorsOrigin('(')).toThrow(/--web.cors.origin/);
  });
});

describe('redactUrl', () => {
  it('hides passwords in URLs only', () => {
    expect(redactUrl('--endpoint "http://u:pw@h:9090/x"')).toBe('--endpoint "http://u:xxxxx@h:9090/x"');
    expect(redactUrl('dns+https://u:p%40ss@h')).toBe('dns+https://u:xxxxx@h');
    expect(redactUrl('http://h:9090/a@b')).toBe('http://h:9090/a@b');
    expect(redactUrl('http://u@h')).toBe('http://u@h');
  });
});

const opensslOk = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!opensslOk)('TLS reload', () => {
  let dir: string;
  let file: string;
  let holder: WebConfigHolder;
  let app: ReturnType<typeof Fastify>;
  let url = '';
  const f = (n: string) => join(dir, n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'promdedup-webcfg-'));
    const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
    const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    for (const ca of ['ca', 'other']) {
      run('req', '-x509', ...ecKey, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '3650', '-subj', `/CN=test ${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    }
    let serial = 2;
    const leaves = [['server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'ca', 'extendedKeyUsage=clientAuth'], ['stranger', 'other', 'extendedKeyUsage=clientAuth']] as const;
    for (const [name, ca, ext] of leaves) {
      writeFileSync(f(`${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
      run('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', '3650', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
    }
    file = f('web.yml');
    writeFileSync(file, `tls_server_config: { cert_file: ${f('server.crt')}, key_file: ${f('server.key')} }\n`);
    holder = WebConfigHolder.load(file);
    app = Fastify({ serverFactory: (handler) => holder.createServer(handler) });
    holder.install(app);
    app.get('/', async () => 'hi');
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** GET / with no client certificate (false), ours (true) or one from another CA ('stranger'). */
  const get = async (client: boolean | 'stranger') => {
    const name = client === 'stranger' ? 'stranger' : 'client';
    const agent = new Agent({
      connect: { ca: readFileSync(f('ca.crt')), ...(client !== false ? { cert: readFileSync(f(`${name}.crt`)), key: readFileSync(f(`${name}.key`)) } : {}) },
    });
    try {
      const res = await request(url, { dispatcher: agent, signal: AbortSignal.timeout(5000) });
      await res.body.text();
      return res.statusCode;
    } finally {
      await agent.close();
    }
  };

  it('turns client-certificate checks on at a reload; a bad file keeps them; TLS cannot be turned off', async () => {
    expect(app.server).toBeInstanceOf((await import('node:https')).Server as unknown as typeof Server);
    expect(await get(false)).toBe(200);
    writeFileSync(
      file,
      `tls_server_config: { cert_file: ${f('server.crt')}, key_file: ${f('server.key')}, client_auth_type: RequireAndVerifyClientCert, client_ca_file: ${f('ca.crt')} }\n`,
    );
    expect(holder.reload()).toBe(true);
    await expect(get(false)).rejects.toThrow();
    expect(await get(true)).toBe(200);
    writeFileSync(file, `tls_server_config: { cert_file: ${f('server.crt')} }\n`);
    expect(() => holder.reload()).toThrow(/missing key_file/);
    await expect(get(false)).rejects.toThrow();
    writeFileSync(file, `basic_auth_users: {}\n`);
    expect(() => holder.reload()).toThrow(/turning TLS off needs a restart/);
    expect(await get(true)).toBe(200);
    await expect(get('stranger')).rejects.toThrow();
  });

  it.each([
    ['NoClientCert', { none: true, ours: true, stranger: true }],
    ['RequestClientCert', { none: true, ours: true, stranger: true }],
    ['RequireAnyClientCert', { none: false, ours: true, stranger: true }],
    ['VerifyClientCertIfGiven', { none: true, ours: true, stranger: false }],
    ['RequireAndVerifyClientCert', { none: false, ours: true, stranger: false }],
  ])('client_auth_type %s', async (policy, expected) => {
    const ca = policy === 'NoClientCert' ? '' : `, client_ca_file: ${f('ca.crt')}`;
    writeFileSync(file, `tls_server_config: { cert_file: ${f('server.crt')}, key_file: ${f('server.key')}, client_auth_type: ${policy}${ca} }\n`);
    holder.reload();
    const ok = (p: Promise<number>) => p.then((status) => status === 200, () => false);
    expect({ none: await ok(get(false)), ours: await ok(get(true)), stranger: await ok(get('stranger')) }).toEqual(expected);
  });
});
