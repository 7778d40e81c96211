/** Ingest worker entry: prepares and rebuilds the large remote-write requests the receiver hands over (src/ingest/worker-protocol.ts). */
import { parentPort } from 'node:worker_threads';
import { runIngestTask, type IngestTask } from '../src/ingest/worker-protocol.js';

const port = parentPort!;
port.on('message', (msg: { id: number; task: IngestTask }) => {
  try {
    const { result, transfer } = runIngestTask(msg.task);
    port.postMessage({ id: msg.id, result }, transfer);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
