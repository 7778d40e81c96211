/** A real `memcached` on a free loopback port for tests; stop() kills it. */
import { spawn, spawnSync } from 'node:child_process';
import { startLoopbackDaemon, type LoopbackDaemon } from './loopback-daemon.js';

export function memcachedAvailable(): boolean {
  return spawnSync('memcached', ['-h'], { encoding: 'utf8' }).status === 0;
}

export type MemcachedServer = LoopbackDaemon;

export function startMemcached(port?: number): Promise<MemcachedServer> {
  // -U 0: no UDP; 64 MB; running as root needs -u.
  const launch = (p: number) => spawn('memcached', ['-l', '127.0.0.1', '-p', String(p), '-U', '0', '-m', '64', '-u', 'nobody'], { stdio: 'ignore' });
  return startLoopbackDaemon('memcached', launch, 'version\r\n', 'VERSION', port);
}
