import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { isMessage, type FromWorker, type ToWorker } from './protocol.js';
import { workerExecArgv } from './worker-flags.js';

export interface WorkerPoolOptions {
  size: number;
  /** The worker entry script (dist/server/worker-main.js). */
  exec: string;
  logger: Logger;
  /** The first message a new or restarted worker gets: its config and the revisions it must serve. */
  initMessage(): ToWorker;
  /** A worker died outside shutdown (it is restarted after this). */
  onUnexpectedExit?(info: { id: number; pid: number | undefined; code: number | null; signal: string | null }): void;
  /** A worker's readiness changed. */
  onReadyChange?(): void;
  /** How long a worker may take to start (load its revisions and bind gRPC). Default 60 s. */
  startTimeoutMs?: number;
}

interface Member {
  worker: Worker;
  ready: boolean;
  startedAt: number;
  stopping: boolean;
}

/** A failure reported by a worker at startup (e.g. the gRPC address is in use). */
export class WorkerStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: string[],
    /** The worker threw an AuthzError with this code (a startup error a single process reports the same way). */
    readonly fromAuthzError = false,
  ) {
    super(message);
  }
}

/**
 * The primary's workers: fork, wait for ready, talk (request/reply with a timeout), restart the ones that die
 * (with back-off when they die young, so a crash loop does not spin), and stop them all on shutdown.
 */
export class WorkerPool {
  private readonly members = new Map<number, Member>();
  private closing = false;
  private grpcPort = 0;
  private nextRequest = 1;
  private youngDeaths = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: WorkerPoolOptions) {}

  /** Fork every worker and wait until all are ready; rejects with the first startup failure. */
  async start(): Promise<number> {
    cluster.setupPrimary({ exec: this.opts.exec, args: [], serialization: 'advanced', execArgv: workerExecArgv() });
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    await Promise.all(Array.from({ length: this.opts.size }, () => this.fork()));
    return this.grpcPort;
  }

  port(): number {
    return this.grpcPort;
  }

  size(): number {
    return this.opts.size;
  }

  readyCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.ready && !m.stopping) n++;
    return n;
  }

  /** Live workers (ready or starting), for broadcasting. */
  workers(): Worker[] {
    return [...this.members.values()].filter((m) => !m.stopping).map((m) => m.worker);
  }

  send(worker: Worker, msg: ToWorker): void {
    if (worker.isConnected()) worker.send(msg);
  }

  /** Send `msg` and resolve with the first reply of type `replyType` that `match`es; reject after `timeoutMs`. */
  request<T extends FromWorker>(worker: Worker, msg: ToWorker, replyType: T['type'], match: (r: T) => boolean, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
      };
      const onMessage = (m: unknown): void => {
        if (isMessage<FromWorker>(m) && m.type === replyType && match(m as T)) {
          cleanup();
          resolve(m as T);
        }
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`worker ${worker.id} exited`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker ${worker.id} did not answer ${msg.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      if (!worker.isConnected()) return onExit();
      worker.send(msg);
    });
  }

  /** A fresh id for request/reply pairs that carry one. */
  requestId(): number {
    return this.nextRequest++;
  }

  /** Stop every worker: each drains its gRPC calls (its own grace period), then exits. Resolves true if all drained. */
  async stop(graceMs: number): Promise<boolean> {
    this.closing = true;
    for (const t of this.timers) clearTimeout(t);
    const all = [...this.members.values()];
    const results = await Promise.all(
      all.map(async (m) => {
        m.stopping = true;
        const exited = new Promise<void>((r) => (m.worker.isDead() ? r() : m.worker.once('exit', () => r())));
        let drained = false;
        try {
          const reply = await this.request<Extract<FromWorker, { type: 'mcp-authz:stopped' }>>(
            m.worker,
            { type: 'mcp-authz:shutdown' },
            'mcp-authz:stopped',
            () => true,
            graceMs + 5_000,
          );
          drained = reply.drained;
        } catch {
          drained = false;
        }
        const kill = setTimeout(() => m.worker.process.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(kill);
        return drained;
      }),
    );
    return results.every(Boolean);
  }

  private fork(): Promise<void> {
    const worker = cluster.fork();
    const member: Member = { worker, ready: false, startedAt: Date.now(), stopping: false };
    this.members.set(worker.id, member);
    // A message to a worker that is exiting (e.g. the shutdown sent to every worker after one failed to start) fails
    // with EPIPE on its channel; with no listener that error would kill the primary. Its exit is handled below.
    worker.on('error', (err: Error) => this.opts.logger.debug({ worker: worker.id, err: err.message }, 'worker channel error'));
    const timeoutMs = this.opts.startTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        reject(new WorkerStartError('worker_start_timeout', `worker ${worker.id} did not start within ${timeoutMs} ms`, []));
        worker.process.kill('SIGKILL');
      }, timeoutMs);
      const onMessage = (m: unknown): void => {
        if (!isMessage<FromWorker>(m)) return;
        if (m.type === 'mcp-authz:ready') {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          member.ready = true;
          this.grpcPort ||= m.grpcPort;
          this.opts.onReadyChange?.();
          resolve();
        } else if (m.type === 'mcp-authz:failed') {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          reject(new WorkerStartError(m.code, m.message, m.details, m.authz));
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        reject(new WorkerStartError('worker_exited', `worker ${worker.id} exited before it served (${signal ?? `exit code ${code}`})`, []));
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
      worker.once('online', () => this.send(worker, this.opts.initMessage()));
    });
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const member = this.members.get(worker.id);
    this.members.delete(worker.id);
    if (member?.ready) this.opts.onReadyChange?.();
    if (this.closing || member?.stopping) return;
    this.opts.onUnexpectedExit?.({ id: worker.id, pid: worker.process.pid, code, signal });
    // A worker that dies young (within 10 s of its start) restarts after a growing delay, up to 30 s.
    const young = member ? Date.now() - member.startedAt < 10_000 : true;
    this.youngDeaths = young ? this.youngDeaths + 1 : 0;
    const delay = young ? Math.min(30_000, 500 * 2 ** Math.min(this.youngDeaths - 1, 6)) : 0;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closing) return;
      this.fork().catch((err: Error) => this.opts.logger.error({ err: err.message }, 'restarted worker failed to start'));
    }, delay);
    this.timers.add(timer);
  }
}
