/** Query worker entry: runs the queries the main thread's QueryPool sends (src/query/executor.ts). */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { TransferListItem } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { QueryExecutor } from '../src/query/executor.js';
import type { FromWorker, ToWorker, WorkerData } from '../src/query/protocol.js';

/**
 * Query threads run at a lower priority than the main thread, so that with every core busy
 * evaluating, the I/O thread (health probes, /metrics, moving endpoint bytes) still runs at once.
 * The pool's urgent worker, which takes a query only when every other worker is busy, keeps the
 * main thread's priority: a cheap query arriving behind heavy ones does not queue for CPU behind
 * them. Linux only (a thread's id from /proc/thread-self); elsewhere all threads share one priority.
 */
const NICE = 5;
const data = workerData as WorkerData;
if (!data.urgent) {
  try {
    const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, NICE);
  } catch {
    // Not Linux, or not allowed: keep the process' priority.
  }
}

const port = parentPort!;
const executor = new QueryExecutor(data.settings, data.cancel, (msg: FromWorker, transfer?: TransferListItem[]) =>
  port.postMessage(msg, transfer),
);
port.on('message', (msg: ToWorker) => executor.handle(msg));
// Ready once warm; a query that comes earlier simply queues behind the warm-up.
void executor.warmUp().finally(() => port.postMessage({ type: 'ready' } satisfies FromWorker));
