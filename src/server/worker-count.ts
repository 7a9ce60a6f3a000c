import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';

/** Worker processes to run: `workers`, else the CPUs this process may use (respects cgroup CPU limits). */
export function workerCount(cfg: Config): number {
  return cfg.workers ?? availableParallelism();
}
