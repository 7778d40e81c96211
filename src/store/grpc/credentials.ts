/** Client channel credentials from Thanos' --grpc-client-tls-* flags. */
import { readFileSync } from 'node:fs';
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';

export interface GrpcClientTls {
  /** --grpc-client-tls-secure: use TLS at all (plaintext otherwise). */
  readonly secure: boolean;
  /** PEM file paths; empty = system roots / no client certificate. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** --grpc-client-tls-skip-verify: accept any server certificate. */
  readonly skipVerify: boolean;
  /** --grpc-client-server-name: the name checked against the server certificate. */
  readonly serverName: string;
}

export const PLAINTEXT: GrpcClientTls = { secure: false, caFile: '', certFile: '', keyFile: '', skipVerify: false, serverName: '' };

/** Reads the files once; throws a clear error when one cannot be read. */
export function clientCredentials(tls: GrpcClientTls): { creds: ChannelCredentials; options: ChannelOptions } {
  if (!tls.secure) return { creds: credentials.createInsecure(), options: {} };
  const read = (what: string, path: string): Buffer | null => {
    if (path === '') return null;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${what} ${JSON.stringify(path)}: ${(err as Error).message}`);
    }
  };
  const ca = read('--grpc-client-tls-ca', tls.caFile);
  const cert = read('--grpc-client-tls-cert', tls.certFile);
  const key = read('--grpc-client-tls-key', tls.keyFile);
  if ((cert === null) !== (key === null)) throw new Error('--grpc-client-tls-cert and --grpc-client-tls-key go together');
  const creds = credentials.createSsl(
    ca,
    key,
    cert,
    tls.skipVerify ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {},
  );
  const options: ChannelOptions = tls.serverName !== '' ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
  return { creds, options };
}
