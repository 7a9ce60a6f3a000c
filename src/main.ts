#!/usr/bin/env node
import { serve, serveUsage } from './cli/serve.js';

const USAGE = `mcp-authz: Envoy ext_authz for MCP tool calls, with Rego compiled to WebAssembly

Usage:
  mcp-authz serve [flags]     run the gRPC authorization server
  mcp-authz help              this text

${serveUsage()}
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, process.env);
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
