/** The README's first command: the demo must keep working out of the box. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prometheusAvailable } from '../support/prometheus.js';
import { DEFAULT_END_MS } from '../support/hadata.js';
import { ensureQuerierBuilt, repoRoot } from '../support/querier-process.js';

describe.skipIf(!prometheusAvailable())('npm run demo', () => {
  it('starts two replicas, promdedup, a second promdedup over its StoreAPI and a query frontend, and its example queries answer as it says', async () => {
    ensureQuerierBuilt();
    // A fixed history end, not the demo's clock-derived one, so the check sees the same data at any hour.
    const child = spawn(process.execPath, [join(repoRoot(), 'dist/test/demo/run.js'), '--check'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEMO_END_MS: String(DEFAULT_END_MS) },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).toContain('demo check passed');
    expect(code, output).toBe(0);
  }, 120_000);
});
