/**
 * The workplace's reference material sits beside the repository (`../shared`), in development and
 * in CI alike: locate it from this file, never by an absolute path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// test/support in sources, dist/test/support when compiled.
const repo = existsSync(join(here, '../../package.json')) ? join(here, '../..') : join(here, '../../..');

export const SHARED_DIR = join(repo, '..', 'shared');
export const PROMQL_TESTDATA_DIR = join(SHARED_DIR, 'conformance/promql-testdata');
export const DEDUP_VECTORS_PATH = join(SHARED_DIR, 'vectors/dedup.json');

const EVAL = /^eval(?:_\w+)?\s+(?:instant\s+at\s+\S+|range\s+from\s+\S+\s+to\s+\S+\s+step\s+\S+)\s+(.*)$/;

export interface TestExpression {
  /** `file.test:line` */
  readonly where: string;
  readonly expr: string;
}

/**
 * The expressions of Prometheus' own PromQL test files that should parse: `eval` lines minus
 * native-histogram ones and those expected to fail. Empty when the files are not there.
 */
export function harvestTestExpressions(files: readonly string[]): TestExpression[] {
  const out: TestExpression[] = [];
  for (const name of files) {
    const path = join(PROMQL_TESTDATA_DIR, `${name}.test`);
    if (!existsSync(path)) continue;
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((raw, i) => {
      const line = raw.trim();
      const m = EVAL.exec(line);
      if (!m || line.startsWith('eval_fail') || m[1]!.includes('{{')) return;
      for (let j = i + 1; j < lines.length && lines[j]!.trim() !== ''; j++) {
        if (/^expect\s+fail/.test(lines[j]!.trim())) return;
      }
      out.push({ where: `${name}.test:${i + 1}`, expr: m[1]! });
    });
  }
  return out;
}
