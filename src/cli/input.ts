import { AuthzError, MALFORMED_STATUS, REASON, type ReasonCode } from '../shared/errors.js';
import { type FlagSpec, flagHelp, parseFlags } from './args.js';
import { type DryRun, dryRunPipeline, HELP_FLAG, headerFlags, nowFlag, POLICY_FLAGS, REQUEST_FLAGS, requestFromFlags } from './dry-run.js';

export const INPUT_FLAGS: FlagSpec[] = [...POLICY_FLAGS, ...REQUEST_FLAGS, HELP_FLAG];

export function inputUsage(): string {
  return `Usage: mcp-authz input [policy flags] (--body FILE | --request FILE) [--header name=value]... [--principal ID]

Print, as JSON, the input document the policy sees for one request: attributes, parsed_body, input.mcp with its
URL and PII facts, identity, now. Evaluating it with opa gives the answer the server gives:

  mcp-authz input --body call.json > input.json
  opa eval --ignore '*_test.rego' --ignore examples -d rego/ -i input.json data.mcp.authz.decision

Flags:
${flagHelp(INPUT_FLAGS)}

Exit status: 0 printed, 3 error.`;
}

/** `mcp-authz input`: the enriched input document of one request, for `opa eval -i` and `opa test`. */
export async function inputCommand(argv: string[], env: NodeJS.ProcessEnv, out = process.stdout, err = process.stderr): Promise<number> {
  const parsed = parseFlags(argv, INPUT_FLAGS);
  if (parsed.flags.help) {
    out.write(`${inputUsage()}\n`);
    return 0;
  }
  const f = parsed.flags;
  const problems = [...parsed.problems];
  if (parsed.positionals.length) problems.push(`unexpected argument(s): ${parsed.positionals.join(' ')}`);
  if ((f.body === undefined) === (f.request === undefined)) problems.push('give exactly one of --body or --request');
  const headers = headerFlags(f, problems);
  const nowMs = nowFlag(f, problems);
  if (problems.length) {
    err.write(`mcp-authz input: ${problems.join('; ')}\n\nmcp-authz input --help lists the flags.\n`);
    return 3;
  }
  let dryRun: DryRun | undefined;
  try {
    dryRun = await dryRunPipeline(f, env, nowMs);
    const outcome = await dryRun.check(requestFromFlags(f, headers));
    const input = outcome.view?.input;
    if (!input) throw new AuthzError(outcome.decision.reasonCode, outcome.decision.message ?? 'the request has no input document');
    const code = outcome.decision.reasonCode as ReasonCode;
    if (code in MALFORMED_STATUS || code === REASON.requestInvalid) {
      err.write(`mcp-authz input: note: the server answers this request itself (${code}) without evaluating the policy\n`);
    }
    out.write(`${JSON.stringify(input, null, 2)}\n`);
    return 0;
  } catch (e) {
    err.write(`mcp-authz input: ${e instanceof AuthzError ? `[${e.code}] ` : ''}${(e as Error).message}\n`);
    return 3;
  } finally {
    dryRun?.close();
  }
}
