// The entry point of a cluster worker process (node:cluster forks it; see src/server/primary.ts).
import { runWorker } from './worker.js';

runWorker();
