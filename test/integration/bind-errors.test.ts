import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// A port that cannot be bound is a clean startup error (exit 2, `cannot start [address_in_use]`) naming the
// flag or variable the user set, whichever of the three listeners it is. It used to hang or print a stack.

let taken: Server;
let addr: string;

beforeAll(async () => {
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  addr = `127.0.0.1:${(taken.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

const free = { grpc: ['--grpc-addr', '127.0.0.1:0'], http: ['--http-addr', '127.0.0.1:0'], admin: ['--admin-addr', '127.0.0.1:0'] };

describe('bind failures', () => {
  for (const [listener, flag] of [
    ['grpc', '--grpc-addr'],
    ['http', '--http-addr'],
    ['admin', '--admin-addr'],
  ] as const) {
    it(`${flag} on a port in use: exit 2, naming the flag`, () => {
      const others = Object.entries(free)
        .filter(([k]) => k !== listener)
        .flatMap(([, v]) => v);
      const r = runCli(['serve', ...others, flag, addr]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`mcp-authz: cannot start [address_in_use]: ${flag} ${addr}: address already in use`);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('names the environment variable when that is what set the address', () => {
    const r = runCli(['serve', ...free.grpc, ...free.admin], { MCP_AUTHZ_HTTP_ADDR: addr });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot start [address_in_use]: MCP_AUTHZ_HTTP_ADDR=${addr}: address already in use`);
  });

  it('an address of no local interface is address_not_available', () => {
    const r = runCli(['serve', ...free.grpc, ...free.admin, '--http-addr', '192.0.2.1:8181']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot start [address_not_available]: --http-addr 192.0.2.1:8181');
  });
});
