import { type Policy, type PolicyArtifact, revisionKey } from '../rego-wasm/index.js';

export { revisionKey };

export interface RevisionInfo {
  /** Identifies the policy and its data (see load.ts). */
  revision: string;
  source: string;
  sha256: string;
  data_sha256: string;
  loaded_at: string;
  active: boolean;
}

/** A remembered revision: bytes only. Only the active revision is instantiated. */
interface KeptRevision {
  key: string;
  revision: string;
  source: string;
  sha256: string;
  dataSha256: string;
  loadedAt: Date;
  artifact: PolicyArtifact;
}

/** Builds a live policy from kept bytes (opa-wasm.ts instantiateArtifact). */
export type Instantiate = (artifact: PolicyArtifact) => Promise<Policy>;

/**
 * The active policy and the last N loaded revisions. Swapping is a single reference assignment, so a check that
 * already took `current()` finishes on the policy it started with.
 *
 * Older revisions are kept as bytes (module and data), never as live WebAssembly instances, so a memory-hungry
 * policy costs its memory once; a rollback instantiates the kept bytes again. Loading content that is already
 * kept moves that entry to the front instead of adding a duplicate.
 */
export class PolicyStore {
  private active: Policy | undefined;
  private history: KeptRevision[] = [];
  private listeners: ((p: Policy | undefined) => void)[] = [];

  constructor(
    private readonly keep: number = 5,
    private readonly instantiate?: Instantiate,
  ) {}

  current(): Policy | undefined {
    return this.active;
  }

  /** Make `policy` active and remember it (oldest revisions beyond `keep` are dropped). */
  activate(policy: Policy): void {
    const key = revisionKey(policy);
    const entry: KeptRevision = {
      key,
      revision: policy.revision,
      source: policy.source,
      sha256: policy.sha256,
      dataSha256: policy.dataSha256,
      loadedAt: policy.loadedAt,
      artifact: policy.artifact,
    };
    this.history = [entry, ...this.history.filter((h) => h.key !== key)].slice(0, Math.max(1, this.keep));
    this.active = policy;
    for (const l of this.listeners) l(policy);
  }

  /**
   * Find a remembered revision: by revision string, or by an 8+ character prefix of the bundle SHA-256 or of the
   * data SHA-256 (the newest match).
   */
  find(ref: string): RevisionInfo | undefined {
    const entry = this.lookup(ref);
    return entry ? this.info(entry) : undefined;
  }

  /**
   * Re-activate a remembered revision, instantiating it from its bytes. Undefined when nothing matches.
   * Rolling back to the active revision is a no-op that returns it.
   */
  async rollback(ref: string): Promise<Policy | undefined> {
    const entry = this.lookup(ref);
    if (!entry) return undefined;
    if (this.active && revisionKey(this.active) === entry.key) return this.active;
    if (!this.instantiate) throw new Error('this policy store cannot instantiate kept revisions');
    const policy = await this.instantiate(entry.artifact);
    this.activate(policy);
    return policy;
  }

  /**
   * A live policy for a remembered revision without activating it (the console's playground): the active policy
   * itself, or a new instance from the kept bytes. Undefined when nothing matches.
   */
  async instance(ref: string, make: Instantiate | undefined = this.instantiate): Promise<Policy | undefined> {
    const entry = this.lookup(ref);
    if (!entry) return undefined;
    if (this.active && revisionKey(this.active) === entry.key) return this.active;
    return make ? make(entry.artifact) : undefined;
  }

  /** Drop the active policy (shutdown): every later check is denied with policy_not_loaded. */
  clear(): void {
    this.active = undefined;
    for (const l of this.listeners) l(undefined);
  }

  list(): RevisionInfo[] {
    return this.history.map((h) => this.info(h));
  }

  onChange(listener: (p: Policy | undefined) => void): void {
    this.listeners.push(listener);
  }

  private lookup(ref: string): KeptRevision | undefined {
    const byPrefix = (h: KeptRevision): boolean => ref.length >= 8 && (h.sha256.startsWith(ref) || h.dataSha256.startsWith(ref));
    return this.history.find((h) => h.revision === ref) ?? this.history.find(byPrefix);
  }

  private info(h: KeptRevision): RevisionInfo {
    return {
      revision: h.revision,
      source: h.source,
      sha256: h.sha256,
      data_sha256: h.dataSha256,
      loaded_at: h.loadedAt.toISOString(),
      active: this.active !== undefined && revisionKey(this.active) === h.key,
    };
  }
}
