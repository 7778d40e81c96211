/**
 * The querier's set of endpoints, as Thanos builds it: the `--endpoint` and `--endpoint-strict`
 * specs plus the targets of `--store.sd-files`, with DNS specs looked up again every DNS interval
 * and files re-read when they change. Consumers read `current()` or are told by `onChange`.
 */
import { describeError } from '../../model/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { CoalescingRunner } from './coalesce.js';
import { DnsResolver, type NameResolver } from './dns.js';
import { FileSd } from './file-sd.js';
import { resolveSpec } from './resolve.js';
import { endpointKey, EndpointSpecError, isDynamic, parseEndpointSpec, type EndpointAddress, type EndpointSpec } from './spec.js';

export interface DiscoveredEndpoint extends EndpointAddress {
  /** Unique per endpoint: `grpc:10.0.0.1:10901`, `prometheus:http://1.2.3.4:9090`. */
  readonly key: string;
  /** From `--endpoint-strict`: used even when its health checks fail. */
  readonly strict: boolean;
  /** The spec it came from, or the path of its file SD file. */
  readonly source: string;
}

export interface EndpointDiscoveryOptions {
  /** `--endpoint` specs. */
  readonly endpoints?: readonly string[];
  /** `--endpoint-strict` specs; static only, as in Thanos. */
  readonly strictEndpoints?: readonly string[];
  /** `--store.sd-files` paths (`*` and `?` allowed in file names). */
  readonly sdFiles?: readonly string[];
  /** `--store.sd-interval`: files are re-read this often besides on change; default 5 m. */
  readonly sdIntervalMs?: number;
  /** `--store.sd-dns-interval`: DNS specs are looked up again this often; default 30 s. */
  readonly dnsIntervalMs?: number;
  /** Default: a DnsResolver on the system's DNS servers. */
  readonly resolver?: NameResolver;
  readonly logger?: Logger;
  /** Called after each resolution of a DNS spec (`dns+`, `dnssrv+`, `dnssrvnoa+`): failed when a lookup got no answer. */
  readonly onDnsLookup?: (failed: boolean) => void;
  /** Called once per change of the set (keys, strictness or TLS server names), not per refresh. */
  readonly onChange?: (current: readonly DiscoveredEndpoint[]) => void;
}

interface Source {
  readonly spec: EndpointSpec;
  readonly strict: boolean;
  readonly source: string;
}

/** setInterval turns longer delays into 1 ms. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

export class EndpointDiscovery {
  private readonly flagSources: readonly Source[];
  private readonly fileSd: FileSd | undefined;
  private readonly resolver: NameResolver;
  private readonly ownsResolver: boolean;
  private readonly logger: Logger;
  private readonly dnsIntervalMs: number;
  /** The endpoints of each spec (by its text) at its last resolution. */
  private readonly resolved = new Map<string, readonly EndpointAddress[]>();
  private readonly runner = new CoalescingRunner(() => this.resolveAndPublish());
  /** Whether the queued resolution looks every spec up again, or only specs not yet resolved. */
  private fullPending = false;
  private endpoints: readonly DiscoveredEndpoint[] = [];
  private published = '';
  private started = false;
  private stopped = false;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Throws (EndpointSpecError, Error) on specs, file patterns or intervals that cannot be used. */
  constructor(private readonly options: EndpointDiscoveryOptions) {
    this.logger = options.logger ?? silentLogger;
    this.dnsIntervalMs = interval('dnsIntervalMs', options.dnsIntervalMs ?? 30_000);
    const strict = (options.strictEndpoints ?? []).map((text): Source => {
      const spec = parseEndpointSpec(text, '--endpoint-strict');
      if (isDynamic(spec)) {
        throw new EndpointSpecError(
          `--endpoint-strict ${JSON.stringify(text)}: strict endpoints must be static (no dns+, dnssrv+ or dnssrvnoa+); use --endpoint for discovered ones`,
        );
      }
      return { spec, strict: true, source: text };
    });
    const plain = (options.endpoints ?? []).map((text): Source => ({ spec: parseEndpointSpec(text, '--endpoint'), strict: false, source: text }));
    this.flagSources = [...strict, ...plain];
    const sdFiles = options.sdFiles ?? [];
    this.fileSd =
      sdFiles.length === 0
        ? undefined
        : new FileSd({
            files: sdFiles,
            intervalMs: interval('sdIntervalMs', options.sdIntervalMs ?? 300_000),
            logger: this.logger,
            onChange: () => void this.request(false),
          });
    this.ownsResolver = options.resolver === undefined;
    this.resolver = options.resolver ?? new DnsResolver();
  }

  /** Resolves once every spec and file has been resolved a first time. Never rejects. */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  /** Stops every timer, watcher and lookup; resolves when none is left. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** The endpoints, sorted by key. */
  current(): DiscoveredEndpoint[] {
    return [...this.endpoints];
  }

  private async run(): Promise<void> {
    try {
      await this.fileSd?.start();
      if (this.stopped) return;
      this.started = true;
      await this.request(true);
      if (this.stopped) return;
      const dynamic = this.fileSd !== undefined || this.flagSources.some((s) => isDynamic(s.spec));
      if (dynamic) {
        this.timer = setInterval(() => void this.request(true), this.dnsIntervalMs);
        this.timer.unref();
      }
    } catch (err) {
      this.logger.error('endpoint discovery failed to start', { err: describeError(err) });
    }
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.fileSd?.stop();
    // An injected resolver may serve others too: its lookups are waited for, not cancelled.
    if (this.ownsResolver) this.resolver.cancel();
    await this.runner.idle();
    await this.starting;
  }

  private request(full: boolean): Promise<void> {
    if (!this.started || this.stopped) return Promise.resolve();
    this.fullPending ||= full;
    return this.runner.run();
  }

  private sources(): Source[] {
    const fromFiles = (this.fileSd?.targets() ?? []).map((t): Source => ({ spec: t.spec, strict: false, source: t.file }));
    return [...this.flagSources, ...fromFiles];
  }

  private async resolveAndPublish(): Promise<void> {
    const full = this.fullPending;
    this.fullPending = false;
    const sources = this.sources();
    const specs = new Map(sources.map((s) => [s.spec.text, s.spec]));
    await Promise.all(
      [...specs.values()]
        .filter((spec) => full || !this.resolved.has(spec.text))
        .map(async (spec) => {
          try {
            const { endpoints, errors } = await resolveSpec(spec, this.resolver);
            if (isDynamic(spec)) this.options.onDnsLookup?.(errors.length > 0);
            for (const err of errors) {
              this.logger.warn('endpoint lookup failed, using the last good addresses', { spec: spec.text, err: describeError(err) });
            }
            this.resolved.set(spec.text, endpoints);
          } catch (err) {
            this.logger.error('resolving an endpoint failed, keeping its previous addresses', { spec: spec.text, err: describeError(err) });
          }
        }),
    );
    if (this.stopped) return;
    for (const text of this.resolved.keys()) if (!specs.has(text)) this.resolved.delete(text);
    this.publish(sources);
  }

  private publish(sources: readonly Source[]): void {
    const byKey = new Map<string, DiscoveredEndpoint>();
    for (const { spec, strict, source } of sources) {
      for (const address of this.resolved.get(spec.text) ?? []) {
        const key = endpointKey(address);
        const seen = byKey.get(key);
        if (seen && (seen.strict || !strict)) continue; // the first wins, unless a strict one comes later
        byKey.set(key, { key, ...address, strict, source });
      }
    }
    const next = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const fingerprint = next.map((e) => `${e.key} ${e.strict} ${e.serverName ?? ''}`).join('\n');
    if (fingerprint === this.published) return;
    const before = new Set(this.endpoints.map((e) => e.key));
    const after = new Set(next.map((e) => e.key));
    for (const e of next) if (!before.has(e.key)) this.logger.info('endpoint added', { endpoint: e.key, source: e.source, strict: e.strict });
    for (const e of this.endpoints) if (!after.has(e.key)) this.logger.info('endpoint removed', { endpoint: e.key, source: e.source });
    this.endpoints = next;
    this.published = fingerprint;
    try {
      this.options.onChange?.(this.current());
    } catch (err) {
      this.logger.error('endpoint change handler failed', { err: describeError(err) });
    }
  }
}

function interval(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_INTERVAL_MS) throw new Error(`${name}: ${ms} is not an interval (1 ms to about 24 days)`);
  return ms;
}
