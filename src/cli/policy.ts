import { parseFlags } from './args.js';

export const POLICY_USAGE = `Usage: mcp-authz policy (list | reload | rollback REVISION) [--admin-addr host:port]

Talk to a running server's admin API (default 127.0.0.1:8282, env MCP_AUTHZ_ADMIN_ADDR).
  list                 the remembered revisions: revision, source, load time, SHA-256, which is active
  reload               rebuild the policy from its source now (like SIGHUP)
  rollback REVISION    re-activate a remembered revision (by revision or a SHA-256 prefix of 8+ characters)`;

/** `mcp-authz policy …`: exit 0 on success, 1 when the server refused, 3 on errors. */
export async function policyCommand(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
  const parsed = parseFlags(argv, [
    { name: 'admin-addr', type: 'string' },
    { name: 'help', type: 'boolean' },
  ]);
  const [sub, arg, ...extra] = parsed.positionals;
  if (parsed.flags.help || !sub) {
    (parsed.flags.help ? out : err).write(`${POLICY_USAGE}\n`);
    return parsed.flags.help ? 0 : 3;
  }
  const problems = [...parsed.problems];
  if (!['list', 'reload', 'rollback'].includes(sub)) problems.push(`unknown subcommand "${sub}"`);
  if (sub === 'rollback' && !arg) problems.push('rollback needs a REVISION');
  if (extra.length || (sub !== 'rollback' && arg)) problems.push('too many arguments');
  if (problems.length) {
    err.write(`mcp-authz policy: ${problems.join('; ')}\n\n${POLICY_USAGE}\n`);
    return 3;
  }
  const addr = (parsed.flags['admin-addr'] as string | undefined) ?? env.MCP_AUTHZ_ADMIN_ADDR ?? '127.0.0.1:8282';
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
      for (const r of rows) out.write(`${(r.active ? '*' : '').padEnd(7)}${r.revision.padEnd(28)}${r.loaded_at.padEnd(26)}${r.sha256.slice(0, 12).padEnd(14)}${r.source}\n`);
    } else {
      out.write(`${JSON.stringify(body)}\n`);
    }
    return res.ok ? 0 : 1;
  } catch (e) {
    err.write(`mcp-authz policy: cannot reach the admin API at ${addr}: ${(e as Error).message}\n`);
    return 3;
  }
}
