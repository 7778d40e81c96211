/** A real `memcached` on a free loopback port for tests; stop() kills it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { exited, killOnExit, sleep, terminate, waitExit } from './child-process.js';
import { freePort } from './prometheus.js';

export function memcachedAvailable(): boolean {
  return spawnSync('memcached', ['-h'], { encoding: 'utf8' }).status === 0;
}

export interface MemcachedServer {
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing is answered, as a hung server behaves. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port (after stop() or kill()), empty. */
  restart(): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => s.write('version\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('VERSION'));
    });
    s.once('error', () => resolve(false));
  });
}

export async function startMemcached(port?: number): Promise<MemcachedServer> {
  const p = port ?? (await freePort());
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    // -U 0: no UDP; 64 MB; running as root needs -u.
    const started = spawn('memcached', ['-l', '127.0.0.1', '-p', String(p), '-U', '0', '-m', '64', '-u', 'nobody'], { stdio: 'ignore' });
    killOnExit(started);
    child = started;
    const deadline = Date.now() + 10_000;
    while (!(await answers(p))) {
      if (exited(started) || Date.now() > deadline) throw new Error(`memcached on ${p} did not start`);
      await sleep(50);
    }
  };
  await launch();
  return {
    address: `127.0.0.1:${p}`,
    port: p,
    async stop() {
      if (child !== null) {
        child.kill('SIGCONT');
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
      c.kill('SIGCONT');
      c.kill('SIGKILL');
      await waitExit(c, 5000);
    },
    restart: launch,
  };
}
