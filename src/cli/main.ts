import { closest, distance } from 'fastest-levenshtein';
import { approvalsCommand, APPROVALS_USAGE } from './approvals.js';
import { check, checkUsage } from './check.js';
import { inputCommand, inputUsage } from './input.js';
import { policyCommand, policyUsage } from './policy.js';
import { serve, serveUsage } from './serve.js';
import { version } from '../shared/version.js';

const COMMANDS = ['serve', 'check', 'input', 'policy', 'approvals', 'version', 'help'];

const usage = (): string => `mcp-authz ${version()}: Envoy ext_authz for MCP tool calls, with Rego compiled to WebAssembly

Usage:
  mcp-authz serve [flags]     run the gRPC authorization server
  mcp-authz check [flags]     dry-run a request (or a suite of cases) against a policy, offline
  mcp-authz input [flags]     print the input document the policy sees for a request (for opa eval -i)
  mcp-authz policy …          list, reload or roll back a running server's policy
  mcp-authz approvals …       list, show, approve or reject calls waiting for human approval
  mcp-authz --version         print the version
  mcp-authz help [COMMAND]    this text, or a command's flags with their defaults and environment variables
`;

const HELP: Record<string, () => string> = {
  serve: serveUsage,
  check: checkUsage,
  input: inputUsage,
  policy: policyUsage,
  approvals: () => APPROVALS_USAGE,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, process.env);
    case 'check':
      return check(rest, process.env);
    case 'input':
      return inputCommand(rest, process.env);
    case 'policy':
      return policyCommand(rest, process.env);
    case 'approvals':
      return approvalsCommand(rest, process.env);
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`mcp-authz ${version()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0] ? HELP[rest[0]] : undefined;
      process.stdout.write(topic ? `${topic()}\n` : usage());
      return command === undefined ? 2 : 0;
    }
    default: {
      const near = closest(command, COMMANDS);
      const close = distance(command, near) <= 2;
      process.stderr.write(`mcp-authz: unknown command "${command}"${close ? ` (did you mean ${near}?)` : ''}\n\n${usage()}`);
      return 2;
    }
  }
}

/** Run the CLI on `argv` and set the exit code. src/main.ts imports this module only on a supported Node.js. */
export function run(argv: string[]): void {
  // `mcp-authz input … | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`mcp-authz: fatal: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
