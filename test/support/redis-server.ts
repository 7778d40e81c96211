/** A real `redis-server` on a free loopback port for tests; stop() kills it, as does a process-exit hook. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { sleep, terminate } from './child-process.js';
import { freePort } from './prometheus.js';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export interface RedisServer {
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop()). */
  restart(): Promise<void>;
}

async function pingable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    s.once('error', () => resolve(false));
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// A worker that dies without running afterAll must not leave servers behind.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
    live.clear();
  });
}

export async function startRedis(port?: number): Promise<RedisServer> {
  installExitHook();
  const p = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const c = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    child = c;
    live.add(c);
    c.once('exit', () => live.delete(c));
    const deadline = Date.now() + 10_000;
    while (!(await pingable(p))) {
      if (Date.now() > deadline) throw new Error(`redis-server on ${p} did not start`);
      await sleep(50);
    }
  };
  await launch();
  return {
    address: `127.0.0.1:${p}`,
    port: p,
    async stop() {
      if (child !== null) await terminate(child);
      child = null;
    },
    restart: launch,
  };
}
