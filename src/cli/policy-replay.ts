import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '../config/load.js';
import { loadDescriptorSet } from '../envoy/descriptor-set.js';
import { createRedactor } from '../observability/redact.js';
import { policySource } from '../policy/policy-source.js';
import { PolicyStore } from '../policy/policy-store.js';
import { checkSettings } from '../server/check-settings.js';
import { candidateLoader } from '../shadow/candidate-source.js';
import { shadowConfigSchema } from '../shadow/config.js';
import { createShadow, policyAnswer } from '../shadow/shadow.js';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { adminHeaders } from './admin-client.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { HELP_FLAG, POLICY_FLAGS } from './dry-run.js';
import { reportText } from './policy-shadow.js';

export const REPLAY_FLAGS: FlagSpec[] = [
  ...POLICY_FLAGS,
  {
    name: 'from-console',
    type: 'boolean',
    help: "instead of --decisions: the console's buffer of recent decisions, from the running server's admin API (--admin-addr)",
  },
  { name: 'candidate', type: 'string', value: 'PATH', help: 'the candidate: a policy directory (compiled with opa) or a bundle file' },
  {
    name: 'decisions',
    type: 'string',
    value: 'FILE',
    help: 'decision-log lines, one JSON object a line, logged with observability.decision_log.log_input: true (- for stdin)',
  },
  { name: 'json', type: 'boolean', help: 'print the report as JSON' },
  HELP_FLAG,
];

export function replayUsage(admin?: FlagSpec): string {
  return `Usage: mcp-authz policy replay --candidate PATH (--decisions FILE | --from-console [--admin-addr host:port]) [policy flags] [--json]

Offline: every recorded decision (a decision-log line with its input) is evaluated again by the active policy
(--bundle or --policy, else the embedded default) and by the candidate, and the differences are reported as
\`policy shadow report\` reports them. Lines without an input, and lines that are not decisions, are counted and
skipped.

Flags:
${flagHelp(admin ? [...REPLAY_FLAGS, admin] : REPLAY_FLAGS)}

Exit status: 0 no differences, 1 differences found, 3 error (no line with an input, a policy that does not load).`;
}

/** `mcp-authz policy replay`: the shadow report over yesterday's decisions, for CI. */
export async function replayCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  admin?: FlagSpec,
  /** The admin API's base URL (http://host:port) for --from-console. */
  adminBase?: (given: string | undefined) => string,
): Promise<number> {
  const parsed = parseFlags(argv, admin ? [...REPLAY_FLAGS, admin] : REPLAY_FLAGS);
  const f = parsed.flags;
  if (f.help) {
    out.write(`${replayUsage(admin)}\n`);
    return 0;
  }
  const problems = [...parsed.problems];
  if (parsed.positionals.length) problems.push(`unexpected argument(s): ${parsed.positionals.join(' ')}`);
  if (typeof f.candidate !== 'string') problems.push('give --candidate PATH');
  if ((typeof f.decisions === 'string') === Boolean(f['from-console'])) problems.push('give --decisions FILE or --from-console (one of them)');
  if (f['admin-addr'] !== undefined && !f['from-console']) problems.push('--admin-addr is for --from-console');
  if (problems.length) {
    err.write(`mcp-authz policy replay: ${problems.join('; ')}\n\n${replayUsage(admin)}\n`);
    return 3;
  }
  try {
    const flags: Record<string, string | string[]> = {};
    for (const s of POLICY_FLAGS) if (f[s.name] !== undefined) flags[s.name] = f[s.name] as string | string[];
    const cfg = loadConfig({ flags, env });
    if (cfg.policy.bundle_url) throw new AuthzError(STARTUP_ERROR.config_invalid, 'replay works offline: use --bundle or --policy, not a bundle URL');
    const settings = checkSettings(cfg, loadDescriptorSet().httpStatusCodes);
    const active = await policySource(cfg).load();
    const common = { dataFiles: cfg.policy.data, entrypoint: cfg.policy.entrypoint, maxMemoryPages: cfg.policy.max_memory_pages };
    const path = resolve(f.candidate as string);
    const loaded = (await candidateLoader(common, new PolicyStore(1))({ path }))!;
    const fromConsole = f['from-console']
      ? `${(adminBase ?? (() => 'http://127.0.0.1:8282'))(f['admin-addr'] as string | undefined)}/v1/decisions/export`
      : undefined;
    const source = fromConsole ? `the console's buffer (${fromConsole})` : (f.decisions as string);
    const text = fromConsole
      ? await consoleBuffer(fromConsole, env)
      : f.decisions === '-'
        ? readFileSync(0, 'utf8')
        : readFileSync(f.decisions as string, 'utf8');

    // The inputs were redacted when they were logged; a timeout is the server's deadline, not the shadow's.
    const timeoutMs = cfg.policy.eval_timeout_ms || 60_000;
    const shadow = createShadow({
      config: shadowConfigSchema.parse({ eval_timeout_ms: timeoutMs, max_differences: 100_000 }),
      decision: settings.decision,
      redactor: createRedactor([]),
      registry: new Registry(),
    });
    shadow.load({ policy: loaded.policy, from: loaded.from, loadedAt: new Date(), loadedBy: 'replay' });
    let replayed = 0;
    let withoutInput = 0;
    let notDecisions = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let rec: { msg?: unknown; input?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        notDecisions++;
        continue;
      }
      if (rec === null || typeof rec !== 'object' || rec.msg !== 'policy_decision') notDecisions++;
      else if (rec.input === null || typeof rec.input !== 'object') withoutInput++;
      else {
        const input = rec.input as Parameters<typeof shadow.compare>[0];
        shadow.compare(input, policyAnswer(active, input, settings.decision, timeoutMs), active.revision);
        replayed++;
      }
    }
    if (replayed === 0) {
      err.write(
        `mcp-authz policy replay: no decision line with an input in ${source} (${withoutInput} without input, ${notDecisions} not decision lines): log with observability.decision_log.log_input: true\n`,
      );
      return 3;
    }
    const report = { ...shadow.report(), active: active.revision, replayed, skipped: { without_input: withoutInput, not_decisions: notDecisions } };
    if (f.json) out.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      out.write(`replayed ${replayed} decisions against active ${active.revision}`);
      out.write(withoutInput + notDecisions ? ` (skipped ${withoutInput} without input, ${notDecisions} not decision lines)\n` : '\n');
      out.write(reportText(report));
    }
    return report.differences > 0 ? 1 : 0;
  } catch (e) {
    const msg = e instanceof AuthzError ? `[${e.code}] ${e.message}` : (e as Error).message;
    err.write(`mcp-authz policy replay: ${msg}\n`);
    return 3;
  }
}

/** The console's recent decisions as decision-log lines (GET /v1/decisions/export), with the CLI's admin credentials. */
async function consoleBuffer(url: string, env: NodeJS.ProcessEnv): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: adminHeaders(env), signal: AbortSignal.timeout(60_000) });
  } catch (e) {
    throw new Error(`cannot reach the admin API at ${url}: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let why = `HTTP ${res.status}`;
    try {
      const body = JSON.parse(text) as { error?: unknown; message?: unknown };
      why = `${String(body.message ?? body.error ?? why)} (HTTP ${res.status})`;
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(`${url}: ${why}${res.status === 404 ? ' (is the console enabled? console.enabled)' : ''}`);
  }
  return text;
}
