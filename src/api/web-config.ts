/**
 * `--http.config`: Prometheus' web configuration file (the exporter-toolkit format Prometheus reads
 * with --web.config.file and Thanos with --http.config) for every HTTP server promdedup runs:
 *
 *   tls_server_config:  cert_file, key_file, client_auth_type, client_ca_file, min_version,
 *                       max_version, cipher_suites, prefer_server_cipher_suites, curve_preferences
 *   http_server_config: headers (the security headers exporter-toolkit allows), http2 (accepted)
 *   basic_auth_users:   user -> bcrypt hash
 *
 * The file is read at start (any problem: the process exits 2 with the reason) and again on
 * reload(); a reload that fails keeps the configuration in force. As in exporter-toolkit, TLS is on
 * when tls_server_config has a certificate, and a server started without TLS cannot turn it on at a
 * reload (nor off): that needs a restart.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import bcrypt from 'bcryptjs';
import type { FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';

export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
}

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

export interface TlsServerSettings {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientAuthType: ClientAuthType;
  readonly clientCa: Buffer | undefined;
  readonly minVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** OpenSSL names of the TLS ≤1.2 suites, undefined for Node's defaults. */
  readonly ciphers: string | undefined;
  readonly honorCipherOrder: boolean;
  readonly ecdhCurve: string | undefined;
}

export interface WebConfig {
  /** null: plain HTTP. */
  readonly tls: TlsServerSettings | null;
  /** user -> bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  /** Headers added to every response. */
  readonly headers: Readonly<Record<string, string>>;
}

export const EMPTY_WEB_CONFIG: WebConfig = { tls: null, users: new Map(), headers: {} };

const TLS_VERSIONS: Record<string, TlsServerSettings['minVersion']> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/** Go's cipher suite names (crypto/tls) -> OpenSSL's, for the suites Go offers for TLS ≤1.2. */
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

const CURVES: Record<string, string> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The headers exporter-toolkit lets http_server_config set, with the values it accepts (null: any). */
const ALLOWED_HEADERS: Record<string, readonly string[] | null> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkKeys(where: string, obj: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new WebConfigError(`${where}: field ${k} not found in type (known: ${known.join(', ')})`);
  }
}

function str(where: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new WebConfigError(`${where}: expected a string`);
  return v;
}

/** Parses a web config's text; `path` resolves nothing (file names are used as written) and names the file in errors. */
export function parseWebConfig(text: string, path: string, read: (file: string) => Buffer = readFileSync): WebConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new WebConfigError(`${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return EMPTY_WEB_CONFIG;
  if (!isRecord(doc)) throw new WebConfigError(`${path}: expected a mapping at the top`);
  checkKeys(path, doc, ['tls_server_config', 'http_server_config', 'basic_auth_users']);
  const readFile = (field: string, file: string): Buffer => {
    try {
      return read(file);
    } catch (err) {
      throw new WebConfigError(`${path}: ${field} ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };

  let tls: TlsServerSettings | null = null;
  const t = doc['tls_server_config'];
  if (t !== undefined && t !== null) {
    if (!isRecord(t)) throw new WebConfigError(`${path}: tls_server_config: expected a mapping`);
    checkKeys(`${path}: tls_server_config`, t, [
      'cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version',
      'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences', 'client_allowed_sans',
    ]);
    const certFile = str('tls_server_config.cert_file', t['cert_file']);
    const keyFile = str('tls_server_config.key_file', t['key_file']);
    const caFile = str('tls_server_config.client_ca_file', t['client_ca_file']);
    const authText = str('tls_server_config.client_auth_type', t['client_auth_type']) || 'NoClientCert';
    if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(authText)) {
      throw new WebConfigError(`${path}: tls_server_config.client_auth_type ${JSON.stringify(authText)}: expected one of ${CLIENT_AUTH_TYPES.join(', ')}`);
    }
    const clientAuthType = authText as ClientAuthType;
    const anyTls = certFile !== '' || keyFile !== '' || caFile !== '' || authText !== 'NoClientCert';
    if (anyTls) {
      // exporter-toolkit's messages, word for word where it has one.
      if (certFile === '') throw new WebConfigError(`${path}: missing cert_file`);
      if (keyFile === '') throw new WebConfigError(`${path}: missing key_file`);
      if (caFile !== '' && clientAuthType === 'NoClientCert') throw new WebConfigError(`${path}: Client CA's have been configured without a Client Auth Policy`);
      if (caFile === '' && (clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert')) {
        throw new WebConfigError(`${path}: client_auth_type ${clientAuthType} needs client_ca_file`);
      }
      const version = (field: string): TlsServerSettings['minVersion'] | undefined => {
        const v = str(`tls_server_config.${field}`, t[field]);
        if (v === '') return undefined;
        const mapped = TLS_VERSIONS[v];
        if (mapped === undefined) throw new WebConfigError(`${path}: tls_server_config.${field} ${JSON.stringify(v)}: unknown TLS version (TLS10, TLS11, TLS12, TLS13)`);
        return mapped;
      };
      const names = (field: string, table: Record<string, string>): string | undefined => {
        const v = t[field];
        if (v === undefined || v === null) return undefined;
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new WebConfigError(`${path}: tls_server_config.${field}: expected a list of names`);
        return (v as string[])
          .map((n) => {
            const m = table[n];
            if (m === undefined) throw new WebConfigError(`${path}: tls_server_config.${field}: unknown name ${JSON.stringify(n)}`);
            return m;
          })
          .join(':');
      };
      if (t['client_allowed_sans'] !== undefined && t['client_allowed_sans'] !== null) {
        throw new WebConfigError(`${path}: tls_server_config.client_allowed_sans is not supported by promdedup`);
      }
      const prefer = t['prefer_server_cipher_suites'];
      if (prefer !== undefined && prefer !== null && typeof prefer !== 'boolean') throw new WebConfigError(`${path}: tls_server_config.prefer_server_cipher_suites: expected true or false`);
      const minVersion = version('min_version') ?? 'TLSv1.2'; // exporter-toolkit's default
      const maxVersion = version('max_version');
      tls = {
        certFile,
        keyFile,
        cert: readFile('cert_file', certFile),
        key: readFile('key_file', keyFile),
        clientAuthType,
        clientCa: caFile !== '' ? readFile('client_ca_file', caFile) : undefined,
        minVersion,
        maxVersion,
        ciphers: names('cipher_suites', CIPHERS),
        honorCipherOrder: prefer !== false,
        ecdhCurve: names('curve_preferences', CURVES),
      };
    }
  }

  const headers: Record<string, string> = {};
  const h = doc['http_server_config'];
  if (h !== undefined && h !== null) {
    if (!isRecord(h)) throw new WebConfigError(`${path}: http_server_config: expected a mapping`);
    checkKeys(`${path}: http_server_config`, h, ['headers', 'http2']);
    const hs = h['headers'];
    if (hs !== undefined && hs !== null) {
      if (!isRecord(hs)) throw new WebConfigError(`${path}: http_server_config.headers: expected a mapping`);
      for (const [name, value] of Object.entries(hs)) {
        const canonical = Object.keys(ALLOWED_HEADERS).find((k) => k.toLowerCase() === name.toLowerCase());
        if (canonical === undefined) throw new WebConfigError(`${path}: HTTP header ${JSON.stringify(name)} can not be configured`);
        if (typeof value !== 'string') throw new WebConfigError(`${path}: http_server_config.headers.${name}: expected a string`);
        const allowed = ALLOWED_HEADERS[canonical];
        if (allowed && !allowed.includes(value.toLowerCase())) {
          throw new WebConfigError(`${path}: invalid value for ${canonical}. Expected one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}, but got: ${JSON.stringify(value)}`);
        }
        headers[canonical] = value;
      }
    }
  }

  const users = new Map<string, string>();
  const u = doc['basic_auth_users'];
  if (u !== undefined && u !== null) {
    if (!isRecord(u)) throw new WebConfigError(`${path}: basic_auth_users: expected a mapping of user to bcrypt hash`);
    for (const [user, hash] of Object.entries(u)) {
      if (typeof hash !== 'string' || !/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
        // The hash is not repeated: it is a secret too.
        throw new WebConfigError(`${path}: basic_auth_users.${user}: not a bcrypt hash ($2y$10$… as htpasswd -nBC 10 makes)`);
      }
      users.set(user, hash);
    }
  }
  return { tls, users, headers };
}

/** Reads and parses `path`. */
export function loadWebConfig(path: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new WebConfigError(`--http.config ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseWebConfig(text, path);
}

function secureContextOptions(t: TlsServerSettings) {
  return {
    cert: t.cert,
    key: t.key,
    ...(t.clientCa !== undefined ? { ca: t.clientCa } : {}),
    minVersion: t.minVersion,
    ...(t.maxVersion !== undefined ? { maxVersion: t.maxVersion } : {}),
    ...(t.ciphers !== undefined ? { ciphers: t.ciphers } : {}),
    ...(t.ecdhCurve !== undefined ? { ecdhCurve: t.ecdhCurve } : {}),
    honorCipherOrder: t.honorCipherOrder,
    // Verified in the handshake only for RequireAndVerifyClientCert; the other policies are checked
    // once the handshake is done (see checkClientCert).
    requestCert: t.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: t.clientAuthType === 'RequireAndVerifyClientCert',
  };
}

/** Whether a finished handshake satisfies the policy (the ones Node's handshake does not enforce itself). */
function clientCertAcceptable(socket: TLSSocket, policy: ClientAuthType): boolean {
  if (policy === 'NoClientCert' || policy === 'RequestClientCert') return true;
  const cert = socket.getPeerCertificate();
  const given = cert !== null && typeof cert === 'object' && Object.keys(cert).length > 0;
  if (policy === 'RequireAnyClientCert') return given;
  if (policy === 'VerifyClientCertIfGiven') return !given || socket.authorized;
  return socket.authorized; // RequireAndVerifyClientCert
}

interface CachedAuth {
  readonly ok: boolean;
}

/** A fixed hash compared against when the user is unknown, so a wrong name costs what a wrong password does. */
let dummyHash: string | null = null;
const DUMMY_HASH = (): string => (dummyHash ??= bcrypt.hashSync('promdedup: no such user', 10));

/**
 * One HTTP server's web configuration as in force now, reloadable. Build the server with
 * createServer(), install the auth and header hooks on the fastify app with install().
 */
export class WebConfigHolder {
  private cfg: WebConfig;
  /** sha256(user, password, hash) -> outcome, so bcrypt runs once per credentials (as exporter-toolkit caches). */
  private readonly authCache = new Map<string, CachedAuth>();
  private server: HttpServer | HttpsServer | null = null;

  constructor(
    readonly path: string,
    initial: WebConfig,
  ) {
    this.cfg = initial;
  }

  /** No file: plain HTTP, no authentication. */
  static none(): WebConfigHolder {
    return new WebConfigHolder('', EMPTY_WEB_CONFIG);
  }

  /** Reads `path` ('' for none); throws WebConfigError. */
  static load(path: string): WebConfigHolder {
    return path === '' ? WebConfigHolder.none() : new WebConfigHolder(path, loadWebConfig(path));
  }

  get config(): WebConfig {
    return this.cfg;
  }

  get tls(): boolean {
    return this.cfg.tls !== null;
  }

  /**
   * Reads the file again and puts it in force; on any problem throws (WebConfigError) and keeps the
   * previous configuration. Returns false when there is no file.
   */
  reload(): boolean {
    if (this.path === '') return false;
    const next = loadWebConfig(this.path);
    if ((next.tls === null) !== (this.cfg.tls === null)) {
      throw new WebConfigError(`${this.path}: turning TLS ${next.tls === null ? 'off' : 'on'} needs a restart; keeping the previous configuration`);
    }
    if (next.tls !== null && this.server !== null && 'setSecureContext' in this.server) {
      try {
        const server = this.server as HttpsServer & { requestCert: boolean; rejectUnauthorized: boolean };
        const options = secureContextOptions(next.tls);
        server.setSecureContext(options);
        // setSecureContext() replaces certificates, CA and protocol settings but not these two,
        // which each new connection takes from the server object.
        server.requestCert = options.requestCert;
        server.rejectUnauthorized = options.rejectUnauthorized;
      } catch (err) {
        throw new WebConfigError(`${this.path}: ${(err as Error).message}`);
      }
    }
    this.cfg = next;
    this.authCache.clear();
    return true;
  }

  /** The node server fastify should use (its serverFactory). */
  createServer(handler: RequestListener, maxHeaderSize?: number): HttpServer | HttpsServer {
    const common = maxHeaderSize !== undefined ? { maxHeaderSize } : {};
    const t = this.cfg.tls;
    if (t === null) {
      this.server = createHttpServer(common, handler);
      return this.server;
    }
    let server: HttpsServer;
    try {
      server = createHttpsServer({ ...common, ...secureContextOptions(t) }, handler);
    } catch (err) {
      throw new WebConfigError(`${this.path}: ${(err as Error).message}`);
    }
    server.on('secureConnection', (socket: TLSSocket) => {
      const policy = this.cfg.tls?.clientAuthType ?? 'NoClientCert';
      if (!clientCertAcceptable(socket, policy)) socket.destroy();
    });
    this.server = server;
    return server;
  }

  /** Adds the configured headers to every response and, with basic_auth_users, asks every request for credentials. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      const cfg = this.cfg;
      for (const [k, v] of Object.entries(cfg.headers)) reply.header(k, v);
      if (cfg.users.size === 0) return;
      if (await this.authorized(cfg, req.raw)) return;
      // As exporter-toolkit: 401, a Basic challenge, "Unauthorized" as the body.
      reply.code(401).header('WWW-Authenticate', 'Basic').header('X-Content-Type-Options', 'nosniff').type('text/plain; charset=utf-8');
      return reply.send('Unauthorized\n');
    });
  }

  /** Checks a raw request's Basic credentials against `cfg`. */
  async authorized(cfg: WebConfig, req: IncomingMessage): Promise<boolean> {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]*)\s*$/i.exec(header);
    if (!m) return false;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const known = cfg.users.get(user);
    const hash = known ?? DUMMY_HASH();
    const key = createHash('sha256').update(user).update('\0').update(password).update('\0').update(hash).digest('hex');
    const cached = this.authCache.get(key);
    if (cached !== undefined) return cached.ok && known !== undefined;
    // bcrypt's comparison takes the same time whatever the password; an unknown user is compared
    // against a dummy hash so that it takes as long as a known one.
    const ok = (await bcrypt.compare(password, hash)) && known !== undefined;
    if (this.authCache.size >= 1000) this.authCache.clear();
    this.authCache.set(key, { ok });
    return ok;
  }
}
