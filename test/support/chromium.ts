/**
 * Headless Chromium for the web UI tests: Debian's `chromium` package (installed by .ci/run), driven
 * by playwright-core (which downloads no browser of its own). `PROMDEDUP_CHROMIUM` overrides the path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './querier-process.js';

/** The Chromium executable, or null when none is installed. */
export function chromiumPath(): string | null {
  const override = process.env['PROMDEDUP_CHROMIUM'];
  if (override !== undefined && override !== '') return existsSync(override) ? override : null;
  // Debian's /usr/bin/chromium is a shell wrapper around this binary (flags from /etc/chromium.d).
  for (const p of ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  return null;
}

/** Flags for running as root in a container: no sandbox (it needs user namespaces), no GPU. */
export const CHROMIUM_ARGS: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** Runs ui/build.mjs when dist/ui/index.html is missing or older than a file under ui/. */
export function ensureUiBuilt(): void {
  const root = repoRoot();
  const index = join(root, 'dist', 'ui', 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(root, 'ui'))) return;
  execFileSync(process.execPath, [join(root, 'ui', 'build.mjs')], { cwd: root, stdio: 'pipe', timeout: 120_000 });
}
