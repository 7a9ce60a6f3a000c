import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

// Rego errors keep opa's own reason (file:line: message) in serve, check, hot reload and for a wrong entrypoint.
// `opa build` writes its errors to stdout; they used to be lost.

const GOOD = 'package tour\n\ndefault allow := false\n\nallow if input.mcp.tool == "get_weather"\n';
const BROKEN = 'package tour\n\nallow if {\n  input.mcp.tool ==\n}\n';

function policyDir(rego: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-rego-'));
  const file = join(dir, 'authz.rego');
  writeFileSync(file, rego);
  return { dir, file };
}

async function waitFor(lines: string[], pred: (l: string) => boolean): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const hit = lines.find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no matching log line in:\n${lines.join('\n')}`);
}

describe("opa's error messages", () => {
  it('serve: a syntax error is a startup error with file:line: message', () => {
    const { dir, file } = policyDir(BROKEN);
    const r = runCli(['serve', '--policy', dir, '--entrypoint', 'tour/allow', '--grpc-addr', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot start [policy_compile_failed]');
    expect(r.stderr).toContain(`${file}:5: rego_parse_error: unexpected } token`);
  });

  it('check: the same message, exit status 3', () => {
    const { dir, file } = policyDir(BROKEN);
    const body = join(dir, 'body.json');
    writeFileSync(body, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_weather","arguments":{}}}');
    const r = runCli(['check', '--policy', dir, '--entrypoint', 'tour/allow', '--body', body]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${file}:5: rego_parse_error: unexpected } token`);
  });

  it('a wrong entrypoint is entrypoint_not_found with opa’s reason', () => {
    const { dir } = policyDir(GOOD);
    const r = runCli(['serve', '--policy', dir, '--entrypoint', 'tour/nope', '--grpc-addr', '127.0.0.1:0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot start [entrypoint_not_found]');
    expect(r.stderr).toContain('entrypoint "tour/nope" does not refer to a rule or policy decision');
  });

  it('hot reload: a broken save is logged with file:line: message and the last good policy keeps serving', async () => {
    const { dir, file } = policyDir(GOOD);
    const server = await startCli(['--policy', dir, '--entrypoint', 'tour/allow']);
    const client = checkClient(`127.0.0.1:${server.grpcPort}`);
    try {
      writeFileSync(file, BROKEN);
      const line = await waitFor(server.lines, (l) => l.includes('policy reload failed'));
      const rec = JSON.parse(line) as Record<string, unknown>;
      expect(rec.code).toBe('policy_compile_failed');
      expect(String(rec.err)).toContain(`${file}:5: rego_parse_error: unexpected } token`);
      const res = await client.check(mcpCheckRequest(toolCall('get_weather', { city: 'Oslo' })));
      expect(res.status.code).toBe(0);
    } finally {
      client.close();
      expect(await server.stop()).toBe(0);
    }
  });
});
