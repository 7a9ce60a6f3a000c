import type { CheckOutcome } from '../check/pipeline.js';
import { AuthzError, reasonClass } from '../shared/errors.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { checkSummary, runCases } from '../check/offline-check.js';
import { type DryRun, dryRunPipeline, HELP_FLAG, headerFlags, nowFlag, POLICY_FLAGS, REQUEST_FLAGS, requestFromFlags } from './dry-run.js';

export const CHECK_FLAGS: FlagSpec[] = [
  ...POLICY_FLAGS,
  ...REQUEST_FLAGS,
  { name: 'cases', type: 'string', value: 'DIR', help: 'a regression suite: every *.json/*.yaml case in DIR with its expected decision' },
  { name: 'json', type: 'boolean', help: 'print one JSON object instead of text' },
  HELP_FLAG,
];

export function checkUsage(): string {
  return `Usage: mcp-authz check [policy flags] (--body FILE | --request FILE | --cases DIR) [--header name=value]... [--now TIME] [--json]

Dry-run requests through the same pipeline the server uses, offline: body parsing, facts, identity, the policy,
the decision and the response. Without --bundle or --policy it uses the embedded default policy. Prints the
decision, rule, message, headers it would inject, the denial body and the input document.

Flags:
${flagHelp(CHECK_FLAGS)}

Exit status: 0 allow, 1 deny, 2 require_approval, 3 error (--cases: 0 all passed, 1 a case failed, 3 error).`;
}

const EXIT = { allow: 0, deny: 1, require_approval: 2, error: 3 } as const;

/** `mcp-authz check`: print the decision, rule, message, injected headers and the input document. */
export async function check(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
  const parsed = parseFlags(argv, CHECK_FLAGS);
  if (parsed.flags.help) {
    out.write(`${checkUsage()}\n`);
    return 0;
  }
  const f = parsed.flags;
  const problems = [...parsed.problems];
  if (parsed.positionals.length) problems.push(`unexpected argument(s): ${parsed.positionals.join(' ')}`);
  const inputs = ['body', 'request', 'cases'].filter((k) => f[k] !== undefined);
  if (inputs.length !== 1) problems.push('give exactly one of --body, --request or --cases');
  const headers = headerFlags(f, problems);
  const nowMs = nowFlag(f, problems);
  if (problems.length) {
    err.write(`mcp-authz check: ${problems.join('; ')}\n\nmcp-authz check --help lists the flags.\n`);
    return EXIT.error;
  }

  let dryRun: DryRun | undefined;
  try {
    dryRun = await dryRunPipeline(f, env, nowMs);
    if (f.cases) return await runCases(f.cases as string, dryRun.check, out);
    const outcome = await dryRun.check(requestFromFlags(f, headers));
    out.write(f.json ? `${JSON.stringify(checkSummary(outcome), null, 2)}\n` : render(outcome));
    return outcome.decision.reasonCode === 'allowed' ? EXIT.allow : kindExit(outcome);
  } catch (e) {
    const msg = e instanceof AuthzError ? `[${e.code}] ${e.message}` : (e as Error).message;
    err.write(`mcp-authz check: ${msg}\n`);
    return EXIT.error;
  } finally {
    dryRun?.close();
  }
}

/** Server-side failures (the reason code's class is `failure`) exit 3; other denials 1; approvals 2. */
function kindExit(o: CheckOutcome): number {
  if (reasonClass(o.decision.reasonCode) === 'failure') return EXIT.error;
  return o.decision.kind === 'require_approval' ? EXIT.require_approval : EXIT.deny;
}

function render(o: CheckOutcome): string {
  const s = checkSummary(o);
  const lines = [
    `decision:  ${s.decision}${s.allowed ? '' : ` (HTTP ${s.http_status}, ${s.reason_code})`}`,
    `rule:      ${s.rule ?? '-'}`,
    `message:   ${s.message ?? '-'}`,
    `policy:    ${s.policy ? `${s.policy.revision} (${s.policy.entrypoint})` : '-'}`,
    `headers:${s.headers.length ? '' : '   -'}`,
    ...s.headers.map((h) => `  ${h.key}: ${h.value}  [${h.append_action}]`),
  ];
  if (s.headers_to_remove.length) lines.push(`removes:   ${collapseSpellings(s.headers_to_remove).join(', ')}`);
  if (s.body !== null) lines.push(`body:      ${s.body}`);
  lines.push('input:', JSON.stringify(s.input, null, 2));
  return `${lines.join('\n')}\n`;
}

/**
 * Header names for the text view: the `-`/`_` spellings of one name (separatorTwins, removed so that no upstream
 * reads a forged copy) as one entry, `x-mcp-authz-approval-id (+15 spellings)`. --json keeps every name.
 */
export function collapseSpellings(names: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const key = n.toLowerCase().replaceAll('_', '-');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  return [...groups].map(([key, all]) => (all.length > 1 ? `${key} (+${all.length - 1} spellings)` : all[0]!));
}
