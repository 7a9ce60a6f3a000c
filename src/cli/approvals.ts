import { adminHeaders, defaultActor } from './admin-client.js';
import { closest, distance } from 'fastest-levenshtein';
import type { Approval, ApprovalEvent } from '../approvals/types.js';
import { parseFlags } from './args.js';
import { textTable } from './text-table.js';

export const APPROVALS_USAGE = `Usage: mcp-authz approvals (list [--status S] | show ID | approve ID [--uses N] [--ttl DURATION] [--reason TEXT]
                          | reject ID [--reason TEXT] | reopen ID [--reason TEXT]) [--by NAME] [--admin-addr host:port] [--json]

Act on require_approval decisions through a running server's admin API (default 127.0.0.1:8282, env
MCP_AUTHZ_ADMIN_ADDR). With admin authentication set, the CLI sends MCP_AUTHZ_ADMIN_TOKEN (bearer) or
MCP_AUTHZ_ADMIN_USER and MCP_AUTHZ_ADMIN_PASSWORD (basic).
  list                 approvals, newest activity first (--status pending|approved|rejected|used|expired)
  show ID              one approval with its audit trail
  ID                   the approval id (sha256:…), or a unique prefix of 8 or more of its hex digits
  approve ID           let the same agent's same call through: --uses N checks (default 1) within --ttl
                       (default 1h; e.g. 90s, 15m, 1h30m, 2d)
  reject ID            deny the call's retries with rule approval_rejected (also revokes an unused grant)
  reopen ID            put an expired or used approval back to pending (the agent need not ask again)
  --reason TEXT        recorded with the action and shown to the agent on rejection
  --by NAME            who acts (default: $USER@host); the authenticated user when authentication is on
Exit status: 0 done, 1 the server refused (not found, conflict, bad request), 3 error.`;

const SUBCOMMANDS = ['list', 'show', 'approve', 'reject', 'reopen'];

/** `mcp-authz approvals …` */
export async function approvalsCommand(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
  const parsed = parseFlags(argv, [
    { name: 'admin-addr', type: 'string' },
    { name: 'status', type: 'string' },
    { name: 'uses', type: 'string' },
    { name: 'ttl', type: 'string' },
    { name: 'reason', type: 'string' },
    { name: 'by', type: 'string' },
    { name: 'json', type: 'boolean' },
    { name: 'help', type: 'boolean' },
  ]);
  const [sub, id, ...extra] = parsed.positionals;
  if (parsed.flags.help || !sub) {
    (parsed.flags.help ? out : err).write(`${APPROVALS_USAGE}\n`);
    return parsed.flags.help ? 0 : 3;
  }
  const f = parsed.flags as Record<string, string | boolean | undefined>;
  const problems = [...parsed.problems];
  if (!SUBCOMMANDS.includes(sub)) {
    const near = closest(sub, SUBCOMMANDS);
    problems.push(`unknown subcommand "${sub}"${distance(sub, near) <= 2 ? ` (did you mean ${near}?)` : ` (one of ${SUBCOMMANDS.join(', ')})`}`);
  }
  if (sub !== 'list' && !id) problems.push(`${sub} needs an approval ID`);
  if (extra.length || (sub === 'list' && id)) problems.push('too many arguments');
  if (f.uses !== undefined && (sub !== 'approve' || !/^[1-9]\d*$/.test(f.uses as string)))
    problems.push(sub === 'approve' ? '--uses must be a positive integer' : '--uses is for approve');
  if (f.ttl !== undefined && sub !== 'approve') problems.push('--ttl is for approve');
  if (f.reason !== undefined && !['approve', 'reject', 'reopen'].includes(sub)) problems.push('--reason is for approve, reject and reopen');
  if (f.status !== undefined && sub !== 'list') problems.push('--status is for list');
  if (problems.length) {
    err.write(`mcp-authz approvals: ${problems.join('; ')}\n\n${APPROVALS_USAGE}\n`);
    return 3;
  }

  // `:8282` (every interface) and 0.0.0.0 are where the server listens; a client connects to this host.
  const addr = ((f['admin-addr'] as string | undefined) ?? env.MCP_AUTHZ_ADMIN_ADDR ?? '127.0.0.1:8282').replace(
    /^(0\.0\.0\.0|\[::\])?:/,
    '127.0.0.1:',
  );
  const base = `http://${addr}/v1/approvals`;
  const headers = adminHeaders(env);
  const by = (f.by as string | undefined) ?? defaultActor();

  let url: string;
  let init: RequestInit = { headers, signal: AbortSignal.timeout(30_000) };
  if (sub === 'list') url = `${base}${f.status ? `?status=${encodeURIComponent(f.status as string)}` : ''}`;
  else if (sub === 'show') url = `${base}/${encodeURIComponent(id!)}`;
  else {
    url = `${base}/${encodeURIComponent(id!)}/${sub}`;
    const body: Record<string, unknown> = { by };
    if (f.uses !== undefined) body.uses = Number(f.uses);
    if (f.ttl !== undefined) body.ttl = f.ttl;
    if (f.reason !== undefined) body.reason = f.reason;
    init = { ...init, method: 'POST', body: JSON.stringify(body) };
  }
  try {
    const res = await fetch(url, init);
    // The admin API's answer: {approvals} (list), {approval, events} (show), {approval} (approve/reject), or an error.
    const body = (await res.json()) as { approvals?: Approval[]; approval: Approval; events?: ApprovalEvent[] };
    if (!res.ok || f.json) out.write(`${JSON.stringify(body, null, f.json ? 2 : 0)}\n`);
    else if (sub === 'list') out.write(table(body.approvals ?? []));
    else if (sub === 'show') out.write(details(body.approval, body.events ?? []));
    else
      out.write(
        `${body.approval.status} ${body.approval.id}${body.approval.uses_left ? ` (${body.approval.uses_left} use(s) until ${body.approval.expires_at})` : ''}\n`,
      );
    return res.ok ? 0 : 1;
  } catch (e) {
    err.write(`mcp-authz approvals: cannot reach the admin API at ${addr}: ${(e as Error).message}\n`);
    return 3;
  }
}

/** The approvals as a table (text-table.ts), the id last and whole. */
function table(rows: Approval[]): string {
  const header = ['STATUS', 'ASKS', 'LAST SEEN', 'AGENT', 'TOOLS', 'RULE', 'ID'];
  const cells = rows.map((a) => [a.status, String(a.ask_count), a.last_seen, a.agent ?? '-', a.tools.join(',') || '-', a.rule ?? '-', a.id]);
  return `${textTable(header, cells).join('\n')}\n`;
}

function details(a: Approval, events: ApprovalEvent[]): string {
  const lines = [
    `id:          ${a.id}`,
    `status:      ${a.status}`,
    `agent:       ${a.agent ?? '-'}`,
    `tools:       ${a.tools.join(', ') || '-'}`,
    `rule:        ${a.rule ?? '-'}`,
    `message:     ${a.message ?? '-'}`,
    `revision:    ${a.revision ?? '-'}`,
    `first seen:  ${a.first_seen}`,
    `last seen:   ${a.last_seen} (${a.ask_count} ask(s))`,
  ];
  if (a.decided_by) lines.push(`decided:     ${a.decided_at} by ${a.decided_by}${a.reason ? ` (${a.reason})` : ''}`);
  if (a.uses_granted !== null) lines.push(`grant:       ${a.uses_left}/${a.uses_granted} use(s) left, until ${a.expires_at}`);
  lines.push('arguments:', JSON.stringify(a.calls, null, 2), 'history:');
  for (const e of events) lines.push(`  ${e.at}  ${e.action.padEnd(10)} ${e.actor ?? '-'}${e.reason ? `  (${e.reason})` : ''}`);
  return `${lines.join('\n')}\n`;
}
