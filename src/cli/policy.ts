import { SETTINGS } from '../config/settings.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { HELP_FLAG, settingFlag } from './setting-flags.js';

const ADMIN = SETTINGS.find((s) => s.flag === 'admin-addr')!;
const ADMIN_DEFAULT = settingFlag(ADMIN).default ?? '127.0.0.1:8282';
const POLICY_FLAGS: FlagSpec[] = [{ ...settingFlag(ADMIN), help: "the running server's admin API" }, HELP_FLAG];

export function policyUsage(): string {
  return `Usage: mcp-authz policy (list | reload | rollback REVISION) [--admin-addr host:port]

Talk to a running server's policy admin API.
  list                 the remembered revisions: revision, source, load time, SHA-256, which is active
  reload               rebuild the policy from its source now (like SIGHUP)
  rollback REVISION    re-activate a remembered revision (by revision or a SHA-256 prefix of 8+ characters)

Flags:
${flagHelp(POLICY_FLAGS)}

Exit status: 0 done, 1 the server refused, 3 error.`;
}

/** `mcp-authz policy …`: exit 0 on success, 1 when the server refused, 3 on errors. */
export async function policyCommand(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
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
  const given = (parsed.flags['admin-addr'] as string | undefined) ?? env[ADMIN.env] ?? ADMIN_DEFAULT;
  // `:8282` (every interface) and 0.0.0.0 are where the server listens; a client connects to this host.
  const addr = given.replace(/^(0\.0\.0\.0|\[::\])?:/, '127.0.0.1:');
  const url = `http://${addr}/v1/policies${sub === 'list' ? '' : `/${sub}`}`;
  try {
    const res = await fetch(url, {
      method: sub === 'list' ? 'GET' : 'POST',
      ...(sub === 'rollback' ? { body: JSON.stringify({ revision: arg }), headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (sub === 'list' && res.ok) {
      const rows = (body.revisions as { revision: string; source: string; sha256: string; loaded_at: string; active: boolean }[]) ?? [];
      out.write(`${'ACTIVE'.padEnd(7)}${'REVISION'.padEnd(28)}${'LOADED AT'.padEnd(26)}${'SHA256'.padEnd(14)}SOURCE\n`);
      for (const r of rows)
        out.write(
          `${(r.active ? '*' : '').padEnd(7)}${r.revision.padEnd(28)}${r.loaded_at.padEnd(26)}${r.sha256.slice(0, 12).padEnd(14)}${r.source}\n`,
        );
    } else {
      out.write(`${JSON.stringify(body)}\n`);
    }
    return res.ok ? 0 : 1;
  } catch (e) {
    err.write(`mcp-authz policy: cannot reach the admin API at ${addr}: ${(e as Error).message}\n`);
    return 3;
  }
}
