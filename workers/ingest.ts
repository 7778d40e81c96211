/** Ingest worker entry: prepares and rebuilds the large remote-write requests the receiver hands over (src/ingest/worker-protocol.ts). */
import { runIngestTask } from '../src/ingest/worker-protocol.js';
import { serveWorkerTasks } from '../src/util/worker-pool.js';

serveWorkerTasks(runIngestTask);
