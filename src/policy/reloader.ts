import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { AuthzError } from '../shared/errors.js';
import type { Policy } from '../rego-wasm/index.js';
import { concernsFile, fingerprint, isPolicyDirFile } from './policy-files.js';
import { revisionKey, type PolicyStore } from './policy-store.js';

export interface ReloaderOptions {
  store: PolicyStore;
  /** Build a fresh policy from the configured source (files or the last fetched remote bundle). */
  load: () => Promise<Policy>;
  logger: Logger;
  onResult?: (ok: boolean, policy?: Policy, error?: Error) => void;
  /** Before `activate` swaps in a policy built elsewhere: the cluster's two-phase prepare on every worker. */
  prepare?: (policy: Policy) => Promise<void>;
}

/** The last reload that failed, until a reload succeeds: what `policy list` and the console show. */
export interface ReloadFailure {
  /** ISO time. */
  at: string;
  reason: string;
  code: string;
  message: string;
  /** The revision that kept serving. */
  serving: string | null;
}

/**
 * Serialised reloads and rollbacks: build the new policy beside the old one, then swap. A failure is logged and
 * counted and leaves the last good policy serving. Requests arriving during a reload coalesce into one more
 * reload. Loading content identical to the active revision changes nothing (no swap, no history entry).
 */
export class PolicyReloader {
  private running: Promise<boolean> | undefined;
  private again = false;
  private lock: Promise<unknown> = Promise.resolve();
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private lastFingerprint = '';
  private failure: ReloadFailure | undefined;

  constructor(private readonly opts: ReloaderOptions) {}

  reload(reason: string): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.exclusive(() => this.run(reason)).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reload(`${reason} (coalesced)`);
      }
    });
    return this.running;
  }

  /** The last failed reload, cleared by the next reload that succeeds (or a rollback). */
  lastFailure(): ReloadFailure | undefined {
    return this.failure;
  }

  /** Re-activate a kept revision (instantiated from its bytes), logged. Undefined when no revision matches. */
  rollback(ref: string): Promise<Policy | undefined> {
    return this.exclusive(async () => {
      const { store, logger } = this.opts;
      const previous = store.current();
      const policy = await store.rollback(ref);
      if (!policy) {
        logger.warn({ ref, kept: store.list().map((r) => r.revision) }, 'policy rollback: no kept revision matches');
        return undefined;
      }
      logger.info(
        { ref, revision: policy.revision, previous: previous?.revision ?? null, sha256: policy.sha256, data_sha256: policy.dataSha256 },
        'policy rolled back',
      );
      this.failure = undefined;
      return policy;
    });
  }

  /**
   * Make a policy built elsewhere active (a promoted shadow candidate), serialised with reloads and rollbacks and
   * prepared first (every worker holds it before any serves it). Logged with `fields` (who did it). The previous
   * revision stays remembered for rollback.
   */
  activate(policy: Policy, reason: string, fields: Record<string, unknown> = {}): Promise<void> {
    return this.exclusive(async () => {
      const { store, logger } = this.opts;
      const previous = store.current();
      await this.opts.prepare?.(policy);
      store.activate(policy);
      logger.info(
        { reason, ...fields, revision: policy.revision, previous: previous?.revision ?? null, sha256: policy.sha256, data_sha256: policy.dataSha256 },
        'policy activated',
      );
      this.failure = undefined;
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }

  private async run(reason: string): Promise<boolean> {
    const { store, logger } = this.opts;
    try {
      const policy = await this.opts.load();
      const previous = store.current();
      if (previous && revisionKey(previous) === revisionKey(policy)) {
        logger.debug({ reason, revision: policy.revision }, 'policy unchanged');
        this.failure = undefined;
        this.opts.onResult?.(true, previous);
        return true;
      }
      store.activate(policy);
      logger.info(
        { reason, revision: policy.revision, previous: previous?.revision ?? null, sha256: policy.sha256, data_sha256: policy.dataSha256 },
        'policy loaded',
      );
      this.failure = undefined;
      this.opts.onResult?.(true, policy);
      return true;
    } catch (err) {
      const e = err as Error;
      const code = e instanceof AuthzError ? e.code : 'policy_load_failed';
      const serving = store.current()?.revision ?? null;
      logger.error({ reason, code, err: e.message, serving }, 'policy reload failed; keeping the last good policy');
      this.failure = { at: new Date().toISOString(), reason, code, message: e.message, serving };
      this.opts.onResult?.(false, undefined, e);
      return false;
    }
  }

  /**
   * Watch the files that make up the policy and reload on change, debounced. A directory (a Rego policy
   * directory) is watched recursively for the files `opa build` reads; a file is watched through its directory
   * (so atomic renames and Kubernetes ConfigMap symlink swaps are seen), for events about that file only. A
   * reload runs only when the files' fingerprint changed since the last attempt, so other files written next to
   * them (a log, an editor's swap file) never cause reloads.
   */
  watch(paths: string[], debounceMs = 300): void {
    const all = paths.map((x) => resolve(x));
    const dirs = all.filter((p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return false; // missing now: watched through its parent directory
      }
    });
    const under = (dir: string, f: string): boolean => f.startsWith(`${dir}${sep}`);
    const files = new Map<string, string[]>(); // directory → watched files in it
    for (const f of all) {
      if (dirs.includes(f) || dirs.some((d) => under(d, f))) continue;
      files.set(dirname(f), [...(files.get(dirname(f)) ?? []), f]);
    }
    this.lastFingerprint = fingerprint(all);
    const changed = (): void => {
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => {
        const now = fingerprint(all);
        if (now === this.lastFingerprint) return;
        this.lastFingerprint = now;
        void this.reload('file change');
      }, debounceMs);
    };
    for (const dir of dirs) {
      // Data files given inside the policy directory count too, whatever their name.
      const extra = all.filter((f) => under(dir, f)).map((f) => relative(dir, f).split(sep).join('/'));
      this.watchDir(dir, true, (name) => name === null || isPolicyDirFile(name) || extra.includes(name.split(sep).join('/')), changed);
    }
    for (const [dir, inDir] of files) this.watchDir(dir, false, (name) => inDir.some((f) => concernsFile(f, name)), changed);
  }

  private watchDir(dir: string, recursive: boolean, relevant: (filename: string | null) => boolean, changed: () => void): void {
    try {
      const w = watch(dir, { persistent: false, recursive }, (_event, filename) => {
        if (relevant(filename === null ? null : String(filename))) changed();
      });
      w.on('error', () => undefined);
      this.watchers.push(w);
    } catch {
      // vanished: nothing to watch
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
