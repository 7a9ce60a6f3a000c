import { instantiateArtifact } from '../policy/engine.js';
import type { Policy, PolicyArtifact } from '../rego-wasm/index.js';
import type { PolicyStore } from '../policy/policy-store.js';
import type { RevisionSpec } from './protocol.js';

/**
 * A worker's side of the two-phase policy change. `prepare` instantiates a revision beside the serving one (a
 * failure leaves everything as it was); `commit` swaps the store to a prepared revision. A check in flight
 * finishes on the policy it started with (the store swaps a reference). Only the serving revision and the ones
 * being prepared are live: kept revisions for rollback are the primary's bytes, sent again when needed.
 */
export class WorkerRevisions {
  private readonly pending = new Map<string, Policy>();
  private activeKey: string | null = null;

  constructor(
    private readonly store: PolicyStore,
    private readonly instantiate: (a: PolicyArtifact) => Promise<Policy> = instantiateArtifact,
  ) {}

  active(): string | null {
    return this.activeKey;
  }

  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  async prepare(key: string, artifact: PolicyArtifact): Promise<void> {
    if (key === this.activeKey || this.pending.has(key)) return;
    this.pending.set(key, await this.instantiate(artifact));
  }

  /** Drop a prepared revision that will not be committed (another worker failed to prepare it). */
  abort(key: string): void {
    this.pending.delete(key);
  }

  /** Serve `key` (null: serve nothing). Throws, changing nothing, when `key` was never prepared. */
  commit(key: string | null): void {
    if (key === this.activeKey) return;
    if (key === null) {
      this.store.clear();
    } else {
      const policy = this.pending.get(key);
      if (!policy) throw new Error(`revision ${key.split('\u0000')[0]} was not prepared on this worker`);
      this.store.activate(policy);
    }
    this.activeKey = key;
    this.pending.clear();
  }

  /** Catch up with the primary (a new or restarted worker, or one that missed a change). */
  async sync(active: RevisionSpec | null): Promise<void> {
    if (active) await this.prepare(active.key, active.artifact);
    this.commit(active?.key ?? null);
  }
}
