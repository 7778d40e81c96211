/**
 * `--runtime-config.file`, reloaded as Mimir's runtime config manager does: the file is read every
 * `--runtime-config.reload-period`; when its content changed and parses, the new overrides replace
 * the old ones whole; when it does not, the previous overrides stay, the error is logged once for
 * that content, and `promdedup_runtime_config_last_reload_successful` drops to 0.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../util/log.js';
import { RuntimeConfigError, type TenantOverrides } from './overrides.js';

export interface LoadedRuntimeConfig {
  readonly overrides: TenantOverrides;
  /** sha256 of the file's bytes (Mimir's runtime_config_hash). */
  readonly sha256: string;
}

export interface RuntimeConfigStatus {
  readonly lastReloadSuccessful: boolean;
  /** Unix ms of the last load that applied a file (the first load at start counts). */
  readonly lastSuccessMs: number;
  /** Hash of the file in force. */
  readonly sha256: string;
}

/** Reads and parses the file at start; any problem is a RuntimeConfigError naming the file. */
export function loadRuntimeConfigFile(path: string, parse: (text: string) => TenantOverrides): LoadedRuntimeConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new RuntimeConfigError(`--runtime-config.file ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseBytes(path, bytes, parse);
}

function parseBytes(path: string, bytes: Buffer, parse: (text: string) => TenantOverrides): LoadedRuntimeConfig {
  try {
    return { overrides: parse(bytes.toString('utf8')), sha256: sha256(bytes) };
  } catch (err) {
    if (err instanceof RuntimeConfigError) throw new RuntimeConfigError(`--runtime-config.file ${JSON.stringify(path)}: ${err.message}`);
    throw err;
  }
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface RuntimeConfigReloaderOptions {
  readonly path: string;
  readonly periodMs: number;
  /** What the start-up load produced (it is in force already). */
  readonly initial: LoadedRuntimeConfig;
  parse(text: string): TenantOverrides;
  /** Puts newly loaded overrides in force. */
  apply(overrides: TenantOverrides): void;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** unchanged: same content as in force; failed: the file in force stays (this content or read failed, now or before). */
export type ReloadResult = 'unchanged' | 'reloaded' | 'failed';

export class RuntimeConfigReloader {
  private readonly now: () => number;
  private state: RuntimeConfigStatus;
  /** What the last attempt saw (content hash or read error), so an unchanged broken file is not re-parsed and re-logged every period. */
  private lastSeen: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReloadResult> | null = null;

  constructor(private readonly options: RuntimeConfigReloaderOptions) {
    this.now = options.now ?? Date.now;
    this.state = { lastReloadSuccessful: true, lastSuccessMs: this.now(), sha256: options.initial.sha256 };
    this.lastSeen = `sha256:${options.initial.sha256}`;
  }

  status(): RuntimeConfigStatus {
    return this.state;
  }

  /** Polls every period until stop(). */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.check(), this.options.periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One poll: reads the file and applies it when its content changed. Never throws. Overlapping calls share one read. */
  check(): Promise<ReloadResult> {
    if (this.running === null) this.running = this.checkOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async checkOnce(): Promise<ReloadResult> {
    const { path, logger } = this.options;
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return this.fail(`error:${message}`, `--runtime-config.file ${JSON.stringify(path)}: ${message}`);
    }
    const hash = sha256(bytes);
    // Same bytes as last time: nothing to apply, and a broken file stays failed without another log line.
    if (`sha256:${hash}` === this.lastSeen) return this.state.lastReloadSuccessful ? 'unchanged' : 'failed';
    let loaded: LoadedRuntimeConfig;
    try {
      loaded = parseBytes(path, bytes, (text) => this.options.parse(text));
    } catch (err) {
      return this.fail(`sha256:${hash}`, err instanceof Error ? err.message : String(err));
    }
    this.options.apply(loaded.overrides);
    this.lastSeen = `sha256:${hash}`;
    this.state = { lastReloadSuccessful: true, lastSuccessMs: this.now(), sha256: hash };
    logger.info('runtime config reloaded', { file: path, sha256: hash, tenants: [...loaded.overrides.keys()].sort().join(',') });
    return 'reloaded';
  }

  private fail(seen: string, message: string): ReloadResult {
    if (seen !== this.lastSeen) {
      this.options.logger.error('runtime config reload failed, keeping the previous one', { file: this.options.path, err: message });
    }
    this.lastSeen = seen;
    this.state = { ...this.state, lastReloadSuccessful: false };
    return 'failed';
  }
}
