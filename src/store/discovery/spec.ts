/**
 * Endpoint specs as Thanos querier's --endpoint takes them: `host:port` is a StoreAPI (gRPC)
 * endpoint, an http(s) URL a Prometheus server; a `dns+`, `dnssrv+` or `dnssrvnoa+` prefix means
 * the addresses are looked up (A/AAAA; SRV then A/AAAA of each target; SRV targets as named).
 */
import { isIP } from 'node:net';
import { redactUrl } from '../../util/redact.js';

export type EndpointKind = 'grpc' | 'prometheus';

/** How a spec's addresses are found: as written, or by a DNS lookup of one of three sorts. */
export type SpecResolution = 'static' | 'dns' | 'dnssrv' | 'dnssrvnoa';

export interface EndpointSpec {
  /** The spec as written. */
  readonly text: string;
  readonly kind: EndpointKind;
  readonly resolution: SpecResolution;
  /** Host name or IP (IPv6 without brackets); for SRV specs the name whose SRV records are looked up. */
  readonly host: string;
  /**
   * The port; for URLs without one, the scheme's default. Optional only for SRV specs, where the
   * records' ports are used unless one is given (as Thanos does).
   */
  readonly port: number | undefined;
  /** Prometheus endpoints only. */
  readonly scheme: 'http' | 'https' | undefined;
  /** Prometheus endpoints only: the URL path without trailing slashes ('' for none). */
  readonly pathPrefix: string;
}

/** Where to reach one endpoint. */
export interface EndpointAddress {
  readonly kind: EndpointKind;
  /** `host:port` for gRPC (IPv6 in brackets), the base URL without trailing slash for Prometheus. */
  readonly address: string;
  /** The name TLS should verify when `address` holds an IP found by a lookup of that name. */
  readonly serverName?: string;
}

export class EndpointSpecError extends Error {
  override readonly name = 'EndpointSpecError';
}

const PREFIXES: ReadonlyArray<[string, SpecResolution]> = [
  ['dnssrvnoa+', 'dnssrvnoa'],
  ['dnssrv+', 'dnssrv'],
  ['dns+', 'dns'],
];

const HOST_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/;
const HOST_PORT = /^(?:\[([^\]]*)\]|([^:[\]/]*))(?::([^:/]*))?$/;

/**
 * Parses one endpoint spec; `flag` names where it came from in error messages
 * (`--endpoint`, `--endpoint-strict`, or a file SD target).
 */
export function parseEndpointSpec(text: string, flag = '--endpoint'): EndpointSpec {
  // A URL's password is never repeated in the message.
  const where = `${flag} ${JSON.stringify(redactUrl(text))}`;
  const fail = (why: string): never => {
    throw new EndpointSpecError(`${where}: ${why}`);
  };
  const expected = 'expected host:port, dns+host:port, dnssrv+name or an http(s):// URL';

  let resolution: SpecResolution = 'static';
  let rest = text;
  for (const [prefix, r] of PREFIXES) {
    if (text.startsWith(prefix)) {
      resolution = r;
      rest = text.slice(prefix.length);
      break;
    }
  }
  const srv = resolution === 'dnssrv' || resolution === 'dnssrvnoa';

  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(rest)) return parseUrl(text, rest, resolution, fail);

  const m = HOST_PORT.exec(rest);
  if (!m) {
    if (/^[0-9a-f]*:[0-9a-f]*:/i.test(rest)) fail(`${expected} (IPv6 addresses go in brackets, as [::1]:10901)`);
    fail(expected);
  }
  const [, bracketed, plain, portText] = m!;
  const host = bracketed ?? plain ?? '';
  if (host === '') fail(expected);
  if (bracketed !== undefined && isIP(bracketed) !== 6) fail(`${JSON.stringify(bracketed)} is not an IPv6 address`);
  if (bracketed === undefined && !HOST_NAME.test(host)) fail(`${JSON.stringify(host)} is not a host name or IP address`);
  if (srv && bracketed !== undefined) fail('an SRV lookup needs a name, not an IP address');
  if (portText === undefined && !srv) fail(`${expected} (the port is missing)`);
  return {
    text,
    kind: 'grpc',
    resolution,
    host,
    port: portText === undefined ? undefined : parsePort(portText, fail),
    scheme: undefined,
    pathPrefix: '',
  };
}

function parseUrl(text: string, rest: string, resolution: SpecResolution, fail: (why: string) => never): EndpointSpec {
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    return fail('not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('the scheme must be http or https');
  if (url.search || url.hash) fail('no query string or fragment allowed');
  if (url.username || url.password) fail('credentials in the URL are not supported (use --endpoint.sd-config-file with basic_auth)');
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') fail('the URL has no host');
  const srv = resolution === 'dnssrv' || resolution === 'dnssrvnoa';
  if (srv && isIP(host)) fail('an SRV lookup needs a name, not an IP address');
  let port: number | undefined;
  if (url.port) port = parsePort(url.port, fail);
  else if (!srv) port = scheme === 'https' ? 443 : 80;
  return { text, kind: 'prometheus', resolution, host, port, scheme, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

function parsePort(text: string, fail: (why: string) => never): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) fail(`port ${JSON.stringify(text)} must be 1-65535`);
  return port;
}

/** Whether the spec's addresses come from DNS (and so change, and are looked up again). */
export function isDynamic(spec: EndpointSpec): boolean {
  return spec.resolution !== 'static';
}

/** `host:port`, with IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The endpoint of `spec` at `host` (a looked-up IP or SRV target, or the spec's own host) and
 * `port`; `serverName` is kept only where TLS could use it (not for plain http).
 */
export function endpointAt(spec: EndpointSpec, host: string, port: number, serverName?: string): EndpointAddress {
  const hostPort = joinHostPort(host.replace(/\.$/, ''), port);
  if (spec.kind === 'grpc') return serverName === undefined ? { kind: 'grpc', address: hostPort } : { kind: 'grpc', address: hostPort, serverName };
  // Through URL so that equal endpoints are equal strings (default ports dropped, host lowercased).
  const url = new URL(`${spec.scheme}://${hostPort}`);
  const address = url.origin + spec.pathPrefix;
  return serverName === undefined || spec.scheme === 'http' ? { kind: 'prometheus', address } : { kind: 'prometheus', address, serverName };
}

/** The address of a static spec. */
export function staticEndpoint(spec: EndpointSpec): EndpointAddress {
  if (isDynamic(spec) || spec.port === undefined) throw new Error(`${spec.text} is not a static endpoint`);
  return endpointAt(spec, spec.host, spec.port);
}

/** A key unique per endpoint: kind and address, e.g. `grpc:10.0.0.1:10901`, `prometheus:http://1.2.3.4:9090`. */
export function endpointKey(endpoint: EndpointAddress): string {
  return `${endpoint.kind}:${endpoint.address}`;
}
