/**
 * `--endpoint.sd-config-file` / `--endpoint.sd-config`: Thanos' endpoint configuration YAML
 * (`endpoints: [{address, strict}]`), extended with a Prometheus-style HTTP client configuration per
 * endpoint (`client_config`) and for all of them (`default_client_config`), so promdedup can reach
 * Prometheus servers behind TLS, basic auth, bearer tokens or header-checking proxies:
 *
 *   default_client_config:
 *     tls_config: { ca_file, cert_file, key_file, server_name, insecure_skip_verify }
 *     basic_auth: { username, password | password_file }
 *     authorization: { type (Bearer), credentials | credentials_file }
 *     bearer_token | bearer_token_file        (Prometheus' older spelling of authorization)
 *     headers: { Name: value }
 *   endpoints:
 *     - address: https://prometheus-a:9090
 *       strict: false
 *       client_config: { … as above; its fields replace the default's }
 *
 * Certificate files are read when the file is read; password, username, credentials and token
 * files then and again on every request. Secrets never appear in error messages.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

/** What the HTTP client of one Prometheus endpoint sends and checks. */
export interface HttpClientSettings {
  /** Added to every request (authorization included; read through a getter when it comes from files, so spread it per request). */
  readonly headers: Readonly<Record<string, string>>;
  /** TLS options for undici's connector (undefined: defaults). */
  readonly tls: {
    readonly ca?: Buffer;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly servername?: string;
    readonly rejectUnauthorized?: boolean;
  };
}

export interface ConfiguredEndpoint {
  readonly address: string;
  readonly strict: boolean;
  /** Null: the endpoint is reached as with --endpoint (nothing configured). */
  readonly client: HttpClientSettings | null;
}

export interface EndpointConfig {
  readonly endpoints: readonly ConfiguredEndpoint[];
}

type Raw = Record<string, unknown>;

const isRecord = (x: unknown): x is Raw => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkKeys(where: string, obj: Raw, known: readonly string[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new ClientConfigError(`${where}: unknown field ${k} (known: ${known.join(', ')})`);
  }
}

const CLIENT_KEYS = ['tls_config', 'basic_auth', 'authorization', 'bearer_token', 'bearer_token_file', 'headers'] as const;

/** Fields of a client_config after merging default and per-endpoint (per top-level field). */
function mergeClient(def: Raw | undefined, own: Raw | undefined): Raw | undefined {
  if (def === undefined && own === undefined) return undefined;
  const out: Raw = { ...(def ?? {}) };
  if (own !== undefined) {
    // bearer_token(_file) and authorization are one setting in two spellings: the endpoint's wins whole.
    if ('authorization' in own || 'bearer_token' in own || 'bearer_token_file' in own || 'basic_auth' in own) {
      delete out['authorization'];
      delete out['bearer_token'];
      delete out['bearer_token_file'];
      delete out['basic_auth'];
    }
    Object.assign(out, own);
  }
  return out;
}

function str(where: string, v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ClientConfigError(`${where}: expected a string`);
  return v;
}

/**
 * Sets `authorization` to `value()`: computed now (so a missing file fails at start), and, when it
 * comes from files, again each time the header is read, i.e. on every request (the request code
 * spreads the headers), as Prometheus reads password and credentials files per request: rotated
 * tokens are picked up without a reload. A file that cannot be read then fails that request.
 */
function setAuthorization(headers: Record<string, string>, value: () => string, fromFiles: boolean): void {
  const first = value();
  if (!fromFiles) {
    headers['authorization'] = first;
    return;
  }
  Object.defineProperty(headers, 'authorization', { enumerable: true, configurable: true, get: value });
}

function secretFile(where: string, file: string, read: (f: string) => Buffer): string {
  try {
    return read(file).toString('utf8').trim();
  } catch (err) {
    throw new ClientConfigError(`${where} ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Builds the settings of one client_config (already merged with the default). */
export function parseClientConfig(where: string, c: Raw, read: (f: string) => Buffer = readFileSync): HttpClientSettings {
  checkKeys(where, c, CLIENT_KEYS);
  const headers: Record<string, string> = {};
  const h = c['headers'];
  if (h !== undefined && h !== null) {
    if (!isRecord(h)) throw new ClientConfigError(`${where}.headers: expected a mapping of name to value`);
    for (const [k, v] of Object.entries(h)) {
      if (typeof v !== 'string') throw new ClientConfigError(`${where}.headers.${k}: expected a string`);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) throw new ClientConfigError(`${where}.headers: ${JSON.stringify(k)} is not a header name`);
      const lower = k.toLowerCase();
      if (lower === 'authorization') throw new ClientConfigError(`${where}.headers: set Authorization with basic_auth or authorization`);
      if (['host', 'content-length', 'content-type', 'content-encoding', 'connection', 'transfer-encoding'].includes(lower)) {
        throw new ClientConfigError(`${where}.headers: ${k} is set by promdedup`);
      }
      headers[lower] = v;
    }
  }

  const auths: string[] = [];
  const ba = c['basic_auth'];
  if (ba !== undefined && ba !== null) {
    if (!isRecord(ba)) throw new ClientConfigError(`${where}.basic_auth: expected a mapping`);
    checkKeys(`${where}.basic_auth`, ba, ['username', 'password', 'password_file', 'username_file']);
    const username = str(`${where}.basic_auth.username`, ba['username']);
    const usernameFile = str(`${where}.basic_auth.username_file`, ba['username_file']);
    if (usernameFile !== '' && username !== '') throw new ClientConfigError(`${where}.basic_auth: at most one of username and username_file`);
    const password = str(`${where}.basic_auth.password`, ba['password']);
    const passwordFile = str(`${where}.basic_auth.password_file`, ba['password_file']);
    if (password !== '' && passwordFile !== '') throw new ClientConfigError(`${where}.basic_auth: at most one of password and password_file`);
    const value = (): string => {
      const user = usernameFile !== '' ? secretFile(`${where}.basic_auth.username_file`, usernameFile, read) : username;
      if (user === '') throw new ClientConfigError(`${where}.basic_auth: username is required`);
      const pw = passwordFile !== '' ? secretFile(`${where}.basic_auth.password_file`, passwordFile, read) : password;
      return `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    };
    setAuthorization(headers, value, usernameFile !== '' || passwordFile !== '');
    auths.push('basic_auth');
  }
  const az = c['authorization'];
  if (az !== undefined && az !== null) {
    if (!isRecord(az)) throw new ClientConfigError(`${where}.authorization: expected a mapping`);
    checkKeys(`${where}.authorization`, az, ['type', 'credentials', 'credentials_file']);
    const type = str(`${where}.authorization.type`, az['type']) || 'Bearer';
    if (type.toLowerCase() === 'basic') throw new ClientConfigError(`${where}.authorization: type Basic: use basic_auth`);
    if (!/^[A-Za-z0-9_-]+$/.test(type)) throw new ClientConfigError(`${where}.authorization.type: not a scheme name`);
    const cred = str(`${where}.authorization.credentials`, az['credentials']);
    const credFile = str(`${where}.authorization.credentials_file`, az['credentials_file']);
    if (cred !== '' && credFile !== '') throw new ClientConfigError(`${where}.authorization: at most one of credentials and credentials_file`);
    if (cred === '' && credFile === '') throw new ClientConfigError(`${where}.authorization: credentials or credentials_file is required`);
    setAuthorization(headers, () => `${type} ${credFile !== '' ? secretFile(`${where}.authorization.credentials_file`, credFile, read) : cred}`, credFile !== '');
    auths.push('authorization');
  }
  const bt = str(`${where}.bearer_token`, c['bearer_token']);
  const btf = str(`${where}.bearer_token_file`, c['bearer_token_file']);
  if (bt !== '' && btf !== '') throw new ClientConfigError(`${where}: at most one of bearer_token and bearer_token_file`);
  if (bt !== '' || btf !== '') {
    setAuthorization(headers, () => `Bearer ${btf !== '' ? secretFile(`${where}.bearer_token_file`, btf, read) : bt}`, btf !== '');
    auths.push('bearer_token');
  }
  if (auths.length > 1) throw new ClientConfigError(`${where}: at most one of basic_auth, authorization and bearer_token(_file) (got ${auths.join(', ')})`);

  return { headers, tls: parseTlsConfig(`${where}.tls_config`, c['tls_config'], read) };
}

/** A Prometheus-style `tls_config` mapping (undefined or null: defaults); certificate files are read now. */
export function parseTlsConfig(where: string, t: unknown, read: (f: string) => Buffer = readFileSync): HttpClientSettings['tls'] {
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string; rejectUnauthorized?: boolean } = {};
  if (t === undefined || t === null) return tls;
  if (!isRecord(t)) throw new ClientConfigError(`${where}: expected a mapping`);
  checkKeys(where, t, ['ca_file', 'cert_file', 'key_file', 'server_name', 'insecure_skip_verify']);
  const file = (field: string): Buffer | undefined => {
    const f = str(`${where}.${field}`, t[field]);
    if (f === '') return undefined;
    try {
      return read(f);
    } catch (err) {
      throw new ClientConfigError(`${where}.${field} ${JSON.stringify(f)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const ca = file('ca_file');
  const cert = file('cert_file');
  const key = file('key_file');
  if ((cert === undefined) !== (key === undefined)) throw new ClientConfigError(`${where}: cert_file and key_file go together`);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined && key !== undefined) {
    tls.cert = cert;
    tls.key = key;
  }
  const serverName = str(`${where}.server_name`, t['server_name']);
  if (serverName !== '') tls.servername = serverName;
  const skip = t['insecure_skip_verify'];
  if (skip !== undefined && skip !== null && typeof skip !== 'boolean') throw new ClientConfigError(`${where}.insecure_skip_verify: expected true or false`);
  if (skip === true) tls.rejectUnauthorized = false;
  return tls;
}

/** A YAML document, or a ClientConfigError naming where the text is broken (never quoting it). */
export function parseSecretYaml(text: string, where: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    // The YAML parser's message quotes the text around the problem, which may hold a secret.
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new ClientConfigError(`${where}: invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}`);
  }
}

/** Parses the YAML text of an endpoint config; `where` names it in errors (a path, or the flag). */
export function parseEndpointConfig(text: string, where: string, read: (f: string) => Buffer = readFileSync): EndpointConfig {
  const doc = parseSecretYaml(text, where);
  if (doc === null || doc === undefined) return { endpoints: [] };
  if (!isRecord(doc)) throw new ClientConfigError(`${where}: expected a mapping with endpoints`);
  checkKeys(where, doc, ['endpoints', 'default_client_config']);
  const def = doc['default_client_config'];
  if (def !== undefined && def !== null && !isRecord(def)) throw new ClientConfigError(`${where}: default_client_config: expected a mapping`);
  if (isRecord(def)) checkKeys(`${where}: default_client_config`, def, CLIENT_KEYS);
  const list = doc['endpoints'] ?? [];
  if (!Array.isArray(list)) throw new ClientConfigError(`${where}: endpoints: expected a list`);
  const endpoints = list.map((e, i): ConfiguredEndpoint => {
    const at = `${where}: endpoints[${i}]`;
    if (!isRecord(e)) throw new ClientConfigError(`${at}: expected a mapping with address`);
    checkKeys(at, e, ['address', 'strict', 'group', 'client_config']);
    const address = str(`${at}.address`, e['address']);
    if (address === '') throw new ClientConfigError(`${at}: address is required`);
    if (e['group'] === true) throw new ClientConfigError(`${at}: group endpoints are not supported`);
    const strict = e['strict'] ?? false;
    if (typeof strict !== 'boolean') throw new ClientConfigError(`${at}.strict: expected true or false`);
    const own = e['client_config'];
    if (own !== undefined && own !== null && !isRecord(own)) throw new ClientConfigError(`${at}.client_config: expected a mapping`);
    const isHttp = /^(?:dns\+|dnssrv\+|dnssrvnoa\+)?https?:\/\//.test(address);
    if (!isHttp) {
      if (isRecord(own)) throw new ClientConfigError(`${at}: client_config applies to http(s):// Prometheus endpoints; StoreAPI endpoints use the --grpc-client-tls-* flags`);
      return { address, strict, client: null };
    }
    const merged = mergeClient(isRecord(def) ? def : undefined, isRecord(own) ? own : undefined);
    return { address, strict, client: merged === undefined ? null : parseClientConfig(`${at}.client_config`, merged, read) };
  });
  return { endpoints };
}

/** Reads the file of --endpoint.sd-config-file. */
export function loadEndpointConfig(path: string): EndpointConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClientConfigError(`--endpoint.sd-config-file ${JSON.stringify(path)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseEndpointConfig(text, path);
}
