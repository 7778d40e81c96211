/**
 * Certificates for the TLS tests, made by openssl in a temp dir: two CAs ("ca" and "other") and
 * the leaf certificates a test asks for. EC P-256 keys, ten years, no dependence on today's date.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  readonly dir: string;
  file(name: string): string;
  read(name: string): Buffer;
}

export interface Leaf {
  /** File stem: `<name>.key`, `<name>.crt`. */
  readonly name: string;
  /** The signing CA: "ca" or "other". */
  readonly ca: 'ca' | 'other';
  readonly cn: string;
  /** Extra openssl extension lines, e.g. subjectAltName and extendedKeyUsage. */
  readonly ext: string;
}

/** A server for localhost and 127.0.0.1. */
export const SERVER_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth';
export const CLIENT_EXT = 'extendedKeyUsage=clientAuth';

export function makePki(prefix: string, leaves: readonly Leaf[]): Pki {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'other']) {
    run('req', '-x509', ...ecKey, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '3650', '-subj', `/CN=promdedup test ${ca}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  let serial = 10;
  for (const { name, ca, cn, ext } of leaves) {
    writeFileSync(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n${ext}\n`);
    run('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', '3650', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
  }
  return { dir, file: (n) => join(dir, n), read: (n) => readFileSync(join(dir, n)) };
}
