#!/usr/bin/env node
import { check, CHECK_USAGE } from './cli/check.js';
import { policyCommand, POLICY_USAGE } from './cli/policy.js';
import { serve, serveUsage } from './cli/serve.js';

const USAGE = `mcp-authz: Envoy ext_authz for MCP tool calls, with Rego compiled to WebAssembly

Usage:
  mcp-authz serve [flags]     run the gRPC authorization server
  mcp-authz check [flags]     dry-run a request against a policy, offline
  mcp-authz policy …          list, reload or roll back a running server's policy
  mcp-authz help              this text

${serveUsage()}

${CHECK_USAGE}

${POLICY_USAGE}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, process.env);
    case 'check':
      return check(rest, process.env);
    case 'policy':
      return policyCommand(rest, process.env);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`mcp-authz: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mcp-authz: fatal: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
