/** Query frontend worker entry: decodes large answers and cached extents (src/frontend/worker-protocol.ts). */
import { runFrontendTask } from '../src/frontend/worker-protocol.js';
import { serveWorkerTasks } from '../src/util/worker-pool.js';

serveWorkerTasks(runFrontendTask);
