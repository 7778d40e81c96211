/** A real `redis-server` on a free loopback port for tests; stop() kills it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { exited, killOnExit, sleep, terminate, waitExit } from './child-process.js';
import { freePort } from './prometheus.js';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export interface RedisServer {
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would (nothing is saved). */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered, as a hung server or a lost network behaves. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts it again on the same port (after stop() or kill()), with an empty dataset. */
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

export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const started = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    killOnExit(started);
    child = started;
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
      if (child !== null) {
        child.kill('SIGCONT'); // a paused server would not see the SIGTERM
        await terminate(child);
      }
      child = null;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async kill() {
      const c = child;
      child = null;
      if (c === null || exited(c)) return;
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    },
    restart: launch,
  };
}
