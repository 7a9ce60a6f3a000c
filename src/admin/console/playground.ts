import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckRequestWire } from '../../check/request.js';
import { requestForBody } from '../../check/check-request.js';
import type { Policy } from '../../rego-wasm/index.js';
import type { ConsoleDeps } from './routes.js';

export interface PlaygroundOptions {
  /** One request through `mcp-authz check`'s pipeline against this policy: the `check --json` object. */
  check(request: CheckRequestWire, policy: Policy): Promise<unknown>;
  /** A remembered revision (or the active policy when undefined). */
  policyFor(revision: string | undefined): Promise<Policy | undefined>;
  /** The shadow candidate, when one is loaded. */
  candidate?: () => Policy | undefined;
  /** `mcp-authz check --cases DIR` against this policy: exit code and output. */
  runCases(dir: string, policy: Policy): Promise<{ code: number; output: string }>;
  /** Directory of suites, one sub-directory each. */
  casesDir?: string;
}

const SUITE = /^[A-Za-z0-9][\w.-]*$/;

/** The playground's side of the console: requests are built as `mcp-authz check --body` builds them. */
export function createPlayground(opts: PlaygroundOptions): Pick<ConsoleDeps, 'playground' | 'suites' | 'runSuite'> {
  const suites = (): string[] => {
    const dir = opts.casesDir;
    if (!dir || !existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => SUITE.test(n) && statSync(join(dir, n)).isDirectory())
      .sort();
  };
  const noPolicy = (revision: string | undefined) => ({
    ok: false as const,
    status: 404,
    error: 'revision_not_found',
    message: revision ? `revision ${revision} is not remembered (see Policy)` : 'no policy is loaded',
  });
  return {
    async playground(req) {
      const policy = req.candidate ? opts.candidate?.() : await opts.policyFor(req.revision);
      if (!policy && req.candidate) return { ok: false, status: 404, error: 'no_candidate', message: 'no shadow candidate is loaded (see Shadow)' };
      if (!policy) return noPolicy(req.revision);
      const request = requestForBody(req.body, req.headers, { ...(req.principal ? { principal: req.principal } : {}) });
      return { ok: true, result: await opts.check(request, policy) };
    },
    suites,
    async runSuite(name, revision) {
      if (!suites().includes(name)) return { ok: false, status: 404, error: 'suite_not_found', message: `no suite ${name} (console.cases_dir)` };
      const policy = await opts.policyFor(revision);
      if (!policy) return noPolicy(revision);
      try {
        return { ok: true, ...(await opts.runCases(join(opts.casesDir!, name), policy)) };
      } catch (err) {
        return { ok: false, status: 422, error: 'cases_invalid', message: (err as Error).message };
      }
    },
  };
}
