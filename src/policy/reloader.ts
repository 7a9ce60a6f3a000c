import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { AuthzError } from '../errors.js';
import type { Policy } from './opa-wasm.js';
import type { PolicyStore } from './policy-store.js';

export interface ReloaderOptions {
  store: PolicyStore;
  /** Build a fresh policy from the configured source (files or the last fetched remote bundle). */
  load: () => Promise<Policy>;
  logger: Logger;
  onResult?: (ok: boolean, policy?: Policy, error?: Error) => void;
}

/**
 * Serialised reloads: build the new policy beside the old one, then swap. A failure is logged and counted and
 * leaves the last good policy serving. Requests arriving during a reload coalesce into one more reload.
 */
export class PolicyReloader {
  private running: Promise<boolean> | undefined;
  private again = false;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ReloaderOptions) {}

  reload(reason: string): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run(reason).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reload(`${reason} (coalesced)`);
      }
    });
    return this.running;
  }

  private async run(reason: string): Promise<boolean> {
    const { store, logger } = this.opts;
    try {
      const policy = await this.opts.load();
      const previous = store.current();
      if (previous && previous.sha256 === policy.sha256 && previous.dataSha256 === policy.dataSha256 && previous.revision === policy.revision) {
        logger.debug({ reason, revision: policy.revision }, 'policy unchanged');
        return true;
      }
      store.activate(policy);
      logger.info({ reason, revision: policy.revision, previous: previous?.revision, sha256: policy.sha256 }, 'policy loaded');
      this.opts.onResult?.(true, policy);
      return true;
    } catch (err) {
      const e = err as Error;
      logger.error(
        { reason, code: e instanceof AuthzError ? e.code : 'policy_load_failed', err: e.message, serving: store.current()?.revision ?? null },
        'policy reload failed; keeping the last good policy',
      );
      this.opts.onResult?.(false, undefined, e);
      return false;
    }
  }

  /**
   * Watch files and directories and reload on change (debounced). Directories are watched rather than files so
   * atomic replacements (rename, Kubernetes ConfigMap symlink swaps) are seen.
   */
  watch(paths: string[], debounceMs = 300): void {
    const dirs = new Map<string, boolean>();
    for (const p of paths.map((x) => resolve(x))) {
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        // missing now; its parent directory is watched
      }
      if (isDir) dirs.set(p, true);
      else if (!dirs.has(dirname(p))) dirs.set(dirname(p), false);
    }
    for (const [dir, recursive] of dirs) {
      try {
        const w = watch(dir, { persistent: false, recursive }, () => {
          clearTimeout(this.debounce);
          this.debounce = setTimeout(() => void this.reload(`file change in ${dir}`), debounceMs);
        });
        w.on('error', () => undefined);
        this.watchers.push(w);
      } catch {
        // a path that is a file, or vanished: its directory is watched instead
      }
    }
  }

  close(): void {
    clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }
}
