import type { Policy } from './opa-wasm.js';

export interface RevisionInfo {
  revision: string;
  source: string;
  sha256: string;
  data_sha256: string;
  loaded_at: string;
  active: boolean;
}

/**
 * The active policy and the last N loaded ones. Swapping is a single reference assignment, so a check that
 * already took `current()` finishes on the policy it started with.
 */
export class PolicyStore {
  private active: Policy | undefined;
  private history: Policy[] = [];
  private listeners: ((p: Policy | undefined) => void)[] = [];

  constructor(private readonly keep: number = 5) {}

  current(): Policy | undefined {
    return this.active;
  }

  /** Make `policy` active and remember it (oldest revisions beyond `keep` are dropped). */
  activate(policy: Policy): void {
    this.history = [policy, ...this.history.filter((p) => p !== policy)].slice(0, Math.max(1, this.keep));
    this.active = policy;
    for (const l of this.listeners) l(policy);
  }

  /**
   * Re-activate a remembered revision: matched by revision string (the newest load of it), or by an 8+ character
   * prefix of the bundle SHA-256 or of the data SHA-256.
   */
  rollback(ref: string): Policy | undefined {
    const byPrefix = (p: Policy): boolean => ref.length >= 8 && (p.sha256.startsWith(ref) || p.dataSha256.startsWith(ref));
    const target = this.history.find((p) => p.revision === ref) ?? this.history.find(byPrefix);
    if (!target) return undefined;
    this.activate(target);
    return target;
  }

  /** Drop the active policy (shutdown): every later check is denied with policy_not_loaded. */
  clear(): void {
    this.active = undefined;
    for (const l of this.listeners) l(undefined);
  }

  list(): RevisionInfo[] {
    return this.history.map((p) => ({
      revision: p.revision,
      source: p.source,
      sha256: p.sha256,
      data_sha256: p.dataSha256,
      loaded_at: p.loadedAt.toISOString(),
      active: p === this.active,
    }));
  }

  onChange(listener: (p: Policy | undefined) => void): void {
    this.listeners.push(listener);
  }
}
