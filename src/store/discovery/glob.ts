/**
 * File SD paths as Prometheus takes them: `*` and `?` wildcards in the file name only
 * (`/etc/sd/*.json`), and the name must end in .json, .yml or .yaml.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export type SdFormat = 'json' | 'yaml';

export interface SdPattern {
  /** The pattern as given. */
  readonly text: string;
  /** The absolute directory holding the matching files. */
  readonly dir: string;
  matches(fileName: string): boolean;
}

/** The format a file SD file is read as, by its extension; undefined for others. */
export function sdFormat(path: string): SdFormat | undefined {
  const ext = /\.([A-Za-z]+)$/.exec(path)?.[1]?.toLowerCase();
  return ext === 'json' ? 'json' : ext === 'yml' || ext === 'yaml' ? 'yaml' : undefined;
}

export function parseSdPattern(text: string, flag = '--store.sd-files'): SdPattern {
  const where = `${flag} ${JSON.stringify(text)}`;
  const dir = dirname(text);
  const name = basename(text);
  if (text === '' || name === '' || text.endsWith('/')) throw new Error(`${where}: expected a file path or a pattern such as /etc/sd/*.json`);
  if (/[*?[]/.test(dir)) throw new Error(`${where}: wildcards are allowed in the file name only, not in directories`);
  if (!sdFormat(name)) throw new Error(`${where}: the file name must end in .json, .yml or .yaml`);
  if (name.includes('[')) throw new Error(`${where}: character classes ([...]) are not supported, only * and ?`);
  const re = new RegExp(
    '^' +
      name
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+(){}\]]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return { text, dir: resolve(dir), matches: (fileName) => re.test(fileName) };
}

/** The files matching `pattern`, sorted; none if its directory does not exist. Other read errors throw. */
export async function expandSdPattern(pattern: SdPattern): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(pattern.dir);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .filter((n) => pattern.matches(n))
    .sort()
    .map((n) => join(pattern.dir, n));
}
