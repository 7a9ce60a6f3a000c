import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CheckOutcome } from '../../check/pipeline.js';
import type { CheckRequestWire } from '../../check/request.js';
import { checkSummary, runCases } from '../../check/offline-check.js';
import type { ConsoleConfig } from './console-config.js';
import type { Redactor } from '../../observability/redact.js';
import type { Policy } from '../../rego-wasm/index.js';
import { packageRoot } from '../../shared/package-root.js';
import { type ConsoleDecision, createDecisionSampler, type DecisionSampler, DecisionRing } from './decision-feed.js';
import { createPlayground } from './playground.js';
import type { ConsoleDeps } from './routes.js';

export interface ConsoleOptions {
  /** One check offline against this policy, as `mcp-authz check` runs it (no cache, no approvals, no logs). */
  runOne(request: CheckRequestWire, policy: Policy): Promise<CheckOutcome>;
  /** A remembered revision, or the active policy when undefined. */
  policyFor(revision: string | undefined): Promise<Policy | undefined>;
  /** The shadow candidate, when one is loaded (the playground can check against it). */
  candidate?: () => Policy | undefined;
  redactor: Redactor;
  /** Where sampled decisions go; default this process's ring (a cluster worker sends them to the primary). */
  sink?: (d: Omit<ConsoleDecision, 'seq'>) => void;
  /** Completes a sampled outcome before it is copied (its input facts, when the check did not compute them). */
  complete?: (o: CheckOutcome) => void;
}

/** The console's state (the ring of recent decisions and its sampler) and the dependencies of its routes. */
export function createConsole(cfg: ConsoleConfig, opts: ConsoleOptions): { sampler: DecisionSampler<CheckOutcome>; deps: ConsoleDeps } {
  const ring = new DecisionRing(cfg.buffer_size, cfg.buffer_max_bytes);
  const sampler = createDecisionSampler<CheckOutcome>({
    perSecond: cfg.sample_per_second,
    redactor: opts.redactor,
    inputMaxBytes: cfg.input_max_bytes,
    sink: opts.sink ?? ((d) => ring.add(d)),
    ...(opts.complete ? { complete: opts.complete } : {}),
  });
  const playground = createPlayground({
    check: async (request, policy) => checkSummary(await opts.runOne(request, policy)),
    policyFor: opts.policyFor,
    ...(opts.candidate ? { candidate: opts.candidate } : {}),
    runCases: async (dir, policy) => {
      let output = '';
      const sink = new Writable({
        write(chunk, _enc, cb) {
          output += String(chunk);
          cb();
        },
      });
      const code = await runCases(dir, (req) => opts.runOne(req, policy), sink);
      return { code, output };
    },
    casesDir: cfg.cases_dir ?? join(packageRoot(), 'test', 'fixtures', 'cases'),
  });
  return { sampler, deps: { ring, dropped: () => sampler.dropped(), ...playground } };
}
