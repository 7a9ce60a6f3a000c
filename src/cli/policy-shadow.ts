import { resolve } from 'node:path';
import type { ShadowReport } from '../shadow/shadow.js';
import { adminHeaders, defaultActor } from './admin-client.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { HELP_FLAG } from './setting-flags.js';
import { textTable } from './text-table.js';

const SUBCOMMANDS = ['load', 'status', 'report', 'promote', 'discard'];

export function shadowFlags(admin: FlagSpec): FlagSpec[] {
  return [
    admin,
    { name: 'revision', type: 'string', value: 'REV', help: 'load: a remembered revision (or a SHA-256 prefix of 8+ characters) instead of a PATH' },
    { name: 'url', type: 'string', value: 'URL', help: 'load: an opa build bundle the server downloads (http or https) instead of a PATH' },
    { name: 'by', type: 'string', value: 'NAME', help: 'who acts (default: $USER@host); the authenticated user when admin_auth is on' },
    { name: 'json', type: 'boolean', help: 'status and report: print the admin API answer as JSON' },
    HELP_FLAG,
  ];
}

export function shadowUsage(admin: FlagSpec): string {
  return `Usage: mcp-authz policy shadow (load PATH | load --url URL | load --revision REV | status | report | promote | discard) [flags]

A candidate revision evaluated beside the active one on live traffic, after each answer; it never decides a request.
  load PATH        compile a policy directory or read a bundle file (on the server's machine) as the candidate
  load --url URL   a bundle the server downloads as it downloads --bundle-url bundles
  load --revision REV   a remembered revision as the candidate
  status           the candidate, checks evaluated, differences by kind
  report           the differences since the candidate was loaded, grouped by kind, tool and rule, then the latest
  promote          make the candidate active (the normal activation; the old revision stays for rollback)
  discard          drop the candidate and its differences

Flags:
${flagHelp(shadowFlags(admin))}

Exit status: 0 done (report: and no differences), 1 the server refused (report: differences found), 3 error.`;
}

/** The report as text: the candidate, the counts, the groups, then the latest differences (newest first). */
export function reportText(
  r: Pick<ShadowReport, 'checks' | 'dropped' | 'differences' | 'groups' | 'recent'> & Partial<ShadowReport>,
  limit = 20,
): string {
  const lines: string[] = [];
  const c = r.candidate;
  if (c !== undefined) lines.push(c ? `candidate ${c.revision} (from ${c.from}, loaded ${c.loaded_at} by ${c.loaded_by})` : 'no candidate loaded');
  const dropped = r.dropped.queue_full + r.dropped.rate_limit;
  lines.push(
    `checks ${r.checks}, differences ${r.differences}${dropped ? `, dropped ${dropped} (queue full ${r.dropped.queue_full}, rate limit ${r.dropped.rate_limit})` : ''}`,
  );
  if (r.groups.length) {
    lines.push(
      '',
      ...textTable(
        ['KIND', 'TOOL', 'RULE', 'COUNT'],
        r.groups.map((g) => [g.kind, g.tool ?? '-', g.rule ?? '-', String(g.count)]),
      ),
    );
  }
  if (r.recent.length) {
    lines.push('', `latest ${Math.min(limit, r.recent.length)} of ${r.differences}:`);
    const side = (a: { decision: string; rule: string | null; reason_code: string }) =>
      `${a.decision}${a.rule ? ` (${a.rule})` : ` [${a.reason_code}]`}`;
    for (const d of r.recent.slice(0, limit)) {
      lines.push(`  ${d.at}  ${d.kind}  ${d.method ?? '-'} ${d.tool ?? '-'}: active ${side(d.active)} → candidate ${side(d.candidate)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** What the shadow admin API answers: a status or report, a promotion, a discard, or an error. */
type ShadowAnswer = Partial<ShadowReport> & {
  active?: string | null;
  discarded?: string;
  error?: string | { code?: string; message?: string };
  message?: string;
};

/** `mcp-authz policy shadow …` against a running server (the base URL of its /v1/policies). */
export async function shadowCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  admin: FlagSpec,
  baseUrl: (given: string | undefined) => string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const parsed = parseFlags(argv, shadowFlags(admin));
  const [sub, arg, ...extra] = parsed.positionals;
  const f = parsed.flags;
  if (f.help || !sub) {
    (f.help ? out : err).write(`${shadowUsage(admin)}\n`);
    return f.help ? 0 : 3;
  }
  const problems = [...parsed.problems];
  if (!SUBCOMMANDS.includes(sub)) problems.push(`unknown subcommand "${sub}"`);
  if (sub === 'load' && [arg, f.revision, f.url].filter((v) => v !== undefined).length !== 1)
    problems.push('load needs a PATH, --url URL or --revision REV (one of them)');
  if (sub !== 'load' && f.revision !== undefined) problems.push('--revision is for load');
  if (sub !== 'load' && f.url !== undefined) problems.push('--url is for load');
  if (extra.length || (sub !== 'load' && arg)) problems.push('too many arguments');
  if (problems.length) {
    err.write(`mcp-authz policy shadow: ${problems.join('; ')}\n\n${shadowUsage(admin)}\n`);
    return 3;
  }
  const base = `${baseUrl(f['admin-addr'] as string | undefined)}/shadow`;
  const by = (f.by as string | undefined) ?? defaultActor();
  const init: RequestInit = { headers: adminHeaders(env), signal: AbortSignal.timeout(120_000) };
  let url = base;
  if (sub === 'report') url = `${base}/report`;
  else if (sub === 'load') {
    // A path is the server's: resolved here, so `load ./policy` means this directory when the server runs beside.
    const body = arg ? { path: resolve(arg), by } : f.url !== undefined ? { url: f.url, by } : { revision: f.revision, by };
    Object.assign(init, { method: 'POST', body: JSON.stringify(body) });
  } else if (sub === 'promote' || sub === 'discard') {
    url = `${base}/${sub}`;
    Object.assign(init, { method: 'POST', body: JSON.stringify({ by }) });
  }
  try {
    const res = await fetch(url, init);
    const body = (await res.json()) as ShadowAnswer;
    if (f.json || (!res.ok && typeof body.error !== 'object' && !body.message)) out.write(`${JSON.stringify(body, null, 2)}\n`);
    else if (!res.ok) {
      const e = body.error;
      out.write(`${sub} failed: ${typeof e === 'object' ? `${e.message} (${e.code})` : `${body.message} (${e})`}\n`);
    } else if (sub === 'report') out.write(reportText(body as ShadowReport));
    else if (sub === 'promote') out.write(`promoted: active ${body.active} (checks ${body.checks}, differences ${body.differences})\n`);
    else if (sub === 'discard') out.write(`discarded ${body.discarded}; active ${body.active}\n`);
    else {
      out.write(`active ${body.active ?? '-'}\n`);
      out.write(reportText({ ...(body as ShadowReport), groups: [], recent: [] }));
      const kinds = Object.entries(body.by_kind ?? {});
      if (kinds.length) out.write(`${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
    }
    if (!res.ok) return 1;
    return sub === 'report' && (body.differences ?? 0) > 0 ? 1 : 0;
  } catch (e) {
    err.write(`mcp-authz policy shadow: cannot reach the admin API at ${url}: ${(e as Error).message}\n`);
    return 3;
  }
}
