/** A real `redis-server` on a free loopback port for tests; stop() kills it. */
import { spawn, spawnSync } from 'node:child_process';
import { startLoopbackDaemon, type LoopbackDaemon } from './loopback-daemon.js';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export type RedisServer = LoopbackDaemon;

export function startRedis(port?: number): Promise<RedisServer> {
  const launch = (p: number) => spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return startLoopbackDaemon('redis-server', launch, 'PING\r\n', '+PONG', port);
}
