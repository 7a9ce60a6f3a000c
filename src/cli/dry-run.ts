import { readFileSync } from 'node:fs';
import { createCheckPipeline } from '../check/pipeline.js';
import type { CheckRequestWire } from '../check/request.js';
import { checkSettings } from '../server/check-settings.js';
import { loadConfig } from '../config/load.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { loadDescriptorSet } from '../envoy/descriptor-set.js';
import { createIdentityResolver } from '../identity/resolve.js';
import { policySource } from '../policy/policy-source.js';
import type { FlagSpec } from './args.js';
import { HELP_FLAG, settingFlags } from './setting-flags.js';
import { requestForBody, requestFromJson, withExtras } from '../check/check-request.js';
import type { RunOne } from '../check/offline-check.js';

/** Flags shared by `check` and `input`: the policy and its data, and one request. */
export const POLICY_FLAGS: FlagSpec[] = settingFlags(['policy.bundle', 'policy.dir', 'policy.data', 'policy.entrypoint', 'body.malformed', 'compat']);
export const REQUEST_FLAGS: FlagSpec[] = [
  { name: 'body', type: 'string', value: 'FILE', help: 'an MCP JSON-RPC body, POSTed to /mcp as application/json (- reads stdin)' },
  { name: 'request', type: 'string', value: 'FILE', help: 'a whole CheckRequest as JSON, protojson names as grpcurl takes them (- reads stdin)' },
  { name: 'header', type: 'string', multiple: true, value: 'name=value', help: 'a request header, e.g. --header authorization="Bearer …"' },
  { name: 'principal', type: 'string', value: 'ID', help: 'the source principal (mTLS peer), e.g. spiffe://cluster.local/ns/agents/sa/bot' },
  {
    name: 'now',
    type: 'string',
    value: 'TIME',
    help: 'the check time (input.now, business hours), RFC 3339 with an offset, e.g. 2026-12-07T10:00:00-05:00 (default: now)',
  },
];
export { HELP_FLAG };

export type Flags = Record<string, string | string[] | boolean | undefined>;

/** Read a file named by a flag; `-` is stdin. */
export function readArg(path: string): string {
  return readFileSync(path === '-' ? 0 : path, 'utf8');
}

/** `--header k=v` flags as a header map (names lower-cased); malformed ones are added to `problems`. */
export function headerFlags(f: Flags, problems: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of (f.header as string[] | undefined) ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) problems.push(`--header ${h}: expected name=value`);
    else headers[h.slice(0, eq).trim().toLowerCase()] = h.slice(eq + 1);
  }
  return headers;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i;

/** `--now TIME` as milliseconds since the epoch; a malformed time is added to `problems`. Undefined: the clock. */
export function nowFlag(f: Flags, problems: string[]): number | undefined {
  const v = f.now as string | undefined;
  if (v === undefined) return undefined;
  const ms = RFC3339.test(v) ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) problems.push(`--now ${v}: expected an RFC 3339 time with an offset, e.g. 2026-12-07T10:00:00-05:00`);
  return ms;
}

export interface DryRun {
  /** One CheckRequest through exactly what the gRPC handler runs. */
  check: RunOne;
  /** Stop background work (a remote JWKS refresh). */
  close(): void;
}

/**
 * The serving pipeline, offline: the configuration from flags, variables and file as `serve` reads it, the policy
 * loaded once, and the same stages as the server (without cache, tracing or metrics: they do not change answers).
 */
export async function dryRunPipeline(f: Flags, env: NodeJS.ProcessEnv, nowMs?: number): Promise<DryRun> {
  const flags: Record<string, string | string[] | undefined> = {};
  for (const s of POLICY_FLAGS) if (f[s.name] !== undefined) flags[s.name] = f[s.name] as string | string[];
  const cfg = loadConfig({ flags, env });
  if (cfg.policy.bundle_url) throw new AuthzError(STARTUP_ERROR.config_invalid, 'check works offline: use --bundle or --policy, not a bundle URL');
  const descriptors = loadDescriptorSet();
  const policy = await policySource(cfg).load();
  const identity = createIdentityResolver(cfg.identity);
  const pipeline = createCheckPipeline({
    settings: checkSettings(cfg, descriptors.httpStatusCodes),
    policy: () => policy,
    identity,
    // The CLI shows the whole input document (`mcp-authz input`, `check`): with the facts, whatever the policy reads.
    factsAlsoFor: () => true,
    ...(nowMs !== undefined ? { now: () => nowMs } : {}),
  });
  return { check: (req) => pipeline.check(req), close: () => identity.close() };
}

/** The CheckRequest given by --body or --request, with --header and --principal added. */
export function requestFromFlags(f: Flags, headers: Record<string, string>): CheckRequestWire {
  const principal = f.principal as string | undefined;
  if (f.body !== undefined) return requestForBody(readArg(f.body as string), headers, principal ? { principal } : {});
  return withExtras(requestFromJson(JSON.parse(readArg(f.request as string))), headers, principal);
}
