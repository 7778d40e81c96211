/** Query worker entry: runs the queries the main thread's QueryPool sends (src/query/executor.ts). */
import type { TransferListItem } from 'node:worker_threads';
import { parentPort, workerData } from 'node:worker_threads';
import { QueryExecutor } from '../src/query/executor.js';
import type { FromWorker, ToWorker, WorkerSettings } from '../src/query/protocol.js';

const port = parentPort!;
const executor = new QueryExecutor(workerData as WorkerSettings, (msg: FromWorker, transfer?: TransferListItem[]) =>
  port.postMessage(msg, transfer),
);
port.on('message', (msg: ToWorker) => executor.handle(msg));
