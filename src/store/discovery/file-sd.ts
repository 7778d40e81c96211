/**
 * Endpoints from files (Thanos `--store.sd-files`): Prometheus file_sd files, re-read when their
 * directories report a change (fs.watch, debounced) and every interval in case an event was
 * missed (network file systems, a watched directory replaced). A file that cannot be read or
 * parsed keeps its previous targets, with a warning: a half-written file must not empty the set.
 */
import { watch, type FSWatcher } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describeError } from '../../model/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { CoalescingRunner } from './coalesce.js';
import { expandSdPattern, parseSdPattern, sdFormat, type SdPattern } from './glob.js';
import { parseEndpointSpec, type EndpointSpec } from './spec.js';
import { parseTargetGroups } from './target-groups.js';

export interface FileTarget {
  /** The absolute path of the file it is in. */
  readonly file: string;
  readonly spec: EndpointSpec;
}

export interface FileSdOptions {
  /** Paths, with `*` and `?` allowed in the file name. */
  readonly files: readonly string[];
  /** Re-read every this often even without file events. */
  readonly intervalMs: number;
  /** Quiet time after a file event before re-reading; default 100 ms. */
  readonly debounceMs?: number;
  readonly logger?: Logger;
  /** Called after a re-read that changed the targets. */
  readonly onChange?: () => void;
}

export class FileSd {
  private readonly patterns: readonly SdPattern[];
  private readonly logger: Logger;
  private readonly runner = new CoalescingRunner(() => this.reread());
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories we failed to watch, so the warning is logged once, not every interval. */
  private readonly unwatchable = new Set<string>();
  private byFile = new Map<string, readonly EndpointSpec[]>();
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;

  /** Throws on a pattern that cannot be used. */
  constructor(private readonly options: FileSdOptions) {
    this.patterns = options.files.map((f) => parseSdPattern(f));
    this.logger = options.logger ?? silentLogger;
  }

  /** Reads the files a first time, then watches them. Never rejects; a second call waits for the first. */
  start(): Promise<void> {
    this.starting ??= this.begin();
    return this.starting;
  }

  private async begin(): Promise<void> {
    if (this.stopped) return;
    this.watchDirectories();
    await this.runner.run();
    if (this.stopped) return;
    this.interval = setInterval(() => void this.runner.run(), this.options.intervalMs);
    this.interval.unref();
  }

  /** Stops watching and waits for a re-read in progress; nothing of it is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.runner.idle();
    await this.starting;
  }

  /** Re-reads now (not once stopped). */
  refresh(): Promise<void> {
    return this.stopped ? Promise.resolve() : this.runner.run();
  }

  targets(): FileTarget[] {
    const out: FileTarget[] = [];
    for (const [file, specs] of this.byFile) for (const spec of specs) out.push({ file, spec });
    return out;
  }

  private watchDirectories(): void {
    for (const dir of new Set(this.patterns.map((p) => p.dir))) {
      if (this.stopped || this.watchers.has(dir)) continue;
      try {
        // Not persistent: as with the timers, discovery alone does not keep the process alive.
        const watcher = watch(dir, { persistent: false }, () => this.scheduleReread());
        watcher.on('error', (err) => {
          this.logger.warn('file SD: watching a directory failed, re-reading on the interval only', { dir, err: describeError(err) });
          this.dropWatcher(dir);
        });
        this.watchers.set(dir, watcher);
        this.unwatchable.delete(dir);
      } catch (err) {
        if (!this.unwatchable.has(dir)) {
          this.unwatchable.add(dir);
          this.logger.warn('file SD: cannot watch directory, re-reading on the interval only', { dir, err: describeError(err) });
        }
      }
    }
  }

  private dropWatcher(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  /** Any event in a watched directory: an editor's rename, a Kubernetes ConfigMap's symlink swap. */
  private scheduleReread(): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.runner.run();
    }, this.options.debounceMs ?? 100);
    this.debounce.unref();
  }

  private async reread(): Promise<void> {
    const next = new Map<string, readonly EndpointSpec[]>();
    for (const pattern of this.patterns) {
      let files: string[];
      try {
        files = await expandSdPattern(pattern);
      } catch (err) {
        this.logger.warn('file SD: listing a directory failed, keeping its previous targets', { pattern: pattern.text, err: describeError(err) });
        for (const [file, specs] of this.byFile) if (dirname(file) === pattern.dir && pattern.matches(basename(file))) next.set(file, specs);
        continue;
      }
      // A watch on a directory that was removed sees nothing once it is back: watch it anew.
      if (files.length === 0 && this.watchers.has(pattern.dir) && !(await exists(pattern.dir))) this.dropWatcher(pattern.dir);
      for (const file of files) {
        if (next.has(file)) continue;
        try {
          next.set(file, await readTargets(file));
        } catch (err) {
          if ((err as { code?: unknown }).code === 'ENOENT') continue; // removed since the listing
          const previous = this.byFile.get(file);
          this.logger.warn('file SD: cannot use file, keeping its previous targets', {
            file,
            previous_targets: previous?.length ?? 0,
            err: describeError(err),
          });
          if (previous) next.set(file, previous);
        }
      }
    }
    if (this.stopped) return;
    this.watchDirectories();
    const changed = fingerprint(next) !== fingerprint(this.byFile);
    this.byFile = next;
    if (!changed || !this.options.onChange) return;
    try {
      this.options.onChange();
    } catch (err) {
      this.logger.error('file SD: change handler failed', { err: describeError(err) });
    }
  }
}

async function readTargets(file: string): Promise<EndpointSpec[]> {
  const groups = parseTargetGroups(await readFile(file, 'utf8'), sdFormat(file) ?? 'yaml');
  return groups.flatMap((g) => g.targets.map((t) => parseEndpointSpec(t, 'target')));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function fingerprint(byFile: ReadonlyMap<string, readonly EndpointSpec[]>): string {
  return [...byFile]
    .map(([file, specs]) => `${file}\n${specs.map((s) => s.text).join('\n')}`)
    .sort()
    .join('\n\n');
}
