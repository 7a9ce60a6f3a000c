import { SETTINGS } from '../config/settings.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { HELP_FLAG, settingFlag } from './setting-flags.js';
import { textTable } from './text-table.js';
import { shadowCommand } from './policy-shadow.js';
import { replayCommand } from './policy-replay.js';

const ADMIN = SETTINGS.find((s) => s.flag === 'admin-addr')!;
const ADMIN_DEFAULT = settingFlag(ADMIN).default ?? '127.0.0.1:8282';
const ADMIN_FLAG: FlagSpec = { ...settingFlag(ADMIN), help: "the running server's admin API" };
const POLICY_FLAGS: FlagSpec[] = [ADMIN_FLAG, HELP_FLAG];

export function policyUsage(): string {
  return `Usage: mcp-authz policy (list | reload | rollback REVISION | shadow … | replay …) [--admin-addr host:port]

Talk to a running server's policy admin API.
  list                 the remembered revisions: revision, source, load time, SHA-256, which is active
  reload               rebuild the policy from its source now (like SIGHUP)
  rollback REVISION    re-activate a remembered revision (by revision or a SHA-256 prefix of 8+ characters)
  shadow …             a candidate revision evaluated beside the active one (mcp-authz policy shadow --help)
  replay …             offline: recorded decisions through the active policy and a candidate (policy replay --help)

Flags:
${flagHelp(POLICY_FLAGS)}

Exit status: 0 done, 1 the server refused, 3 error.`;
}

/** What the policy admin API answers (GET /v1/policies, POST …/reload and …/rollback, or an error). */
interface PolicyAnswer {
  revisions?: { revision: string; source: string; sha256: string; loaded_at: string; active: boolean }[];
  last_failure?: { at: string; reason: string; message: string; serving: string | null } | null;
  active?: string | null;
  sha256?: string;
  reloaded?: boolean;
  error?: string | { code: string; message: string };
  message?: string;
}

/** The revisions as a table (columns as wide as their cells), then the last failed reload if one is unresolved. */
function revisionTable(body: PolicyAnswer): string {
  const header = ['ACTIVE', 'REVISION', 'LOADED AT', 'SHA256', 'SOURCE'];
  const cells = (body.revisions ?? []).map((r) => [r.active ? '*' : '', r.revision, r.loaded_at, r.sha256.slice(0, 12), r.source]);
  const lines = textTable(header, cells);
  const f = body.last_failure;
  if (f) lines.push('', `last reload FAILED at ${f.at} (${f.reason}): ${f.message}`, `still serving ${f.serving ?? 'nothing'}`);
  return `${lines.join('\n')}\n`;
}

/** One line for reload and rollback, and for a refusal: what is active now, or what went wrong. */
function summaryLine(sub: string, ok: boolean, body: PolicyAnswer): string {
  if (ok && sub === 'reload') return `reloaded: active ${body.active ?? '-'}`;
  if (ok && sub === 'rollback') return `rolled back: active ${body.active ?? '-'} (sha256 ${body.sha256?.slice(0, 12) ?? '-'})`;
  if (typeof body.error === 'object') return `${sub} failed: ${body.error.message} (${body.error.code}); still serving ${body.active ?? 'nothing'}`;
  if (body.error === 'revision_not_found')
    return `rollback failed: no remembered revision matches; remembered: ${(body as { revisions?: unknown[] }).revisions?.join(', ') ?? '-'}`;
  return `${sub} failed: ${body.message ?? body.error ?? 'the server refused'}`;
}

/** `mcp-authz policy …`: exit 0 on success, 1 when the server refused, 3 on errors. */
export async function policyCommand(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
  if (argv[0] === 'replay') return replayCommand(argv.slice(1), env, out, err, ADMIN_FLAG, (given) => `http://${adminAddr(given, env)}`);
  if (argv[0] === 'shadow') return shadowCommand(argv.slice(1), env, ADMIN_FLAG, (given) => `http://${adminAddr(given, env)}/v1/policies`, out, err);
  const parsed = parseFlags(argv, POLICY_FLAGS);
  const [sub, arg, ...extra] = parsed.positionals;
  if (parsed.flags.help || !sub) {
    (parsed.flags.help ? out : err).write(`${policyUsage()}\n`);
    return parsed.flags.help ? 0 : 3;
  }
  const problems = [...parsed.problems];
  if (!['list', 'reload', 'rollback'].includes(sub)) problems.push(`unknown subcommand "${sub}"`);
  if (sub === 'rollback' && !arg) problems.push('rollback needs a REVISION');
  if (extra.length || (sub !== 'rollback' && arg)) problems.push('too many arguments');
  if (problems.length) {
    err.write(`mcp-authz policy: ${problems.join('; ')}\n\n${policyUsage()}\n`);
    return 3;
  }
  const addr = adminAddr(parsed.flags['admin-addr'] as string | undefined, env);
  const url = `http://${addr}/v1/policies${sub === 'list' ? '' : `/${sub}`}`;
  try {
    const res = await fetch(url, {
      method: sub === 'list' ? 'GET' : 'POST',
      ...(sub === 'rollback' ? { body: JSON.stringify({ revision: arg }), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as PolicyAnswer;
    if (sub === 'list' && res.ok) out.write(revisionTable(body));
    else out.write(`${summaryLine(sub, res.ok, body)}\n`);
    return res.ok ? 0 : 1;
  } catch (e) {
    err.write(`mcp-authz policy: cannot reach the admin API at ${addr}: ${(e as Error).message}\n`);
    return 3;
  }
}

/** Where the admin API is: --admin-addr, its variable or the default. `:8282` and 0.0.0.0 are where the server listens; a client connects to 127.0.0.1. */
function adminAddr(given: string | undefined, env: NodeJS.ProcessEnv): string {
  return (given ?? env[ADMIN.env] ?? ADMIN_DEFAULT).replace(/^(0\.0\.0\.0|\[::\])?:/, '127.0.0.1:');
}
