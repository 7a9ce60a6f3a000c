/**
 * V8's young generation ("semi-space") size of each cluster worker, in MB. V8 grows the semi-spaces with the
 * allocation rate up to a maximum it derives from the heap limit, that is from the machine's (or cgroup's) memory:
 * on a 24 GB machine the new space reached 64 MB. grpc-js allocates fast enough under load to get there, so a worker
 * held about 100 MB more RSS than with 4 MB, at the same CPU time per check within the noise (bench/README.md,
 * "Memory per worker"). Smaller than 4 MB, scavenges get frequent enough to cost CPU.
 */
export const WORKER_SEMI_SPACE_MB = 4;

/** A node flag that already sizes the semi-spaces (the operator's choice wins over the default). */
const SEMI_SPACE_FLAG = /(^|\s)--max[-_]semi[-_]space[-_]size(=|\s|$)/;

/**
 * The node flags a cluster worker starts with: the primary's own (node:cluster's default), plus
 * `--max-semi-space-size=4` unless those flags or NODE_OPTIONS already set it (`NODE_OPTIONS=--max-semi-space-size=16`
 * restores V8's default for the workers).
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv, nodeOptions: string | undefined = process.env.NODE_OPTIONS): string[] {
  const set = SEMI_SPACE_FLAG.test(execArgv.join(' ')) || SEMI_SPACE_FLAG.test(nodeOptions ?? '');
  return set ? [...execArgv] : [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`];
}
