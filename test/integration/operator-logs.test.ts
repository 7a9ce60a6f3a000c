import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, mainJs, startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { repoRoot } from '../helpers/tools.js';

// The log lines an operator needs: tracing on or off and why, JWKS fetch failures, and --log-format text.

const records = (lines: string[]) =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, any>];
    } catch {
      return [];
    }
  });

async function until<T>(what: string, get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('operator log lines', () => {
  it('says tracing is off, and why, by default', async () => {
    const server = await startCli([]);
    try {
      const line = records(server.lines).find((r) => r.msg === 'tracing off');
      expect(line).toMatchObject({ level: 'info', tracing: { enabled: false } });
      expect(line!.tracing.reason).toContain('no OTLP exporter configured');
    } finally {
      await server.stop();
    }
  });

  it('warns when OTLP over gRPC is asked for: tracing stays off', async () => {
    const server = await startCli([], { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
    try {
      const line = records(server.lines).find((r) => r.msg === 'tracing off');
      expect(line).toMatchObject({ level: 'warn', tracing: { enabled: false } });
      expect(line!.tracing.reason).toContain('"grpc" is not supported');
    } finally {
      await server.stop();
    }
  });

  it('says where spans go when tracing is on', async () => {
    const port = await closedPort();
    const server = await startCli([], { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    try {
      const line = records(server.lines).find((r) => r.msg === 'tracing on');
      expect(line).toMatchObject({
        level: 'info',
        tracing: { enabled: true, endpoint: `http://127.0.0.1:${port}/v1/traces`, protocol: 'http/protobuf' },
      });
    } finally {
      await server.stop();
    }
  });

  it('logs a JWKS that cannot be fetched, with the network cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-authz-jwks-'));
    const port = await closedPort();
    const cfg = join(dir, 'config.yaml');
    writeFileSync(
      cfg,
      `identity:\n  jwt:\n    enabled: true\n    jwks_uri: http://127.0.0.1:${port}/jwks.json\n    issuers: [https://idp.example.com/]\n    audiences: [mcp]\n`,
    );
    const server = await startCli(['--config', cfg]);
    const client = checkClient(`127.0.0.1:${server.grpcPort}`);
    try {
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const token = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ sub: 'u', iss: 'https://idp.example.com/', aud: 'mcp', exp: 4102444800 })}.c2ln`;
      await client.check(
        mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }), { headers: { authorization: `Bearer ${token}` } }),
      );
      const line = await until('the JWKS log line', () => records(server.lines).find((r) => String(r.msg).startsWith('JWKS fetch failed')));
      expect(line).toMatchObject({ level: 'warn', jwks_uri: `http://127.0.0.1:${port}/jwks.json`, consecutive_failures: 1, keys_kept: false });
      expect(line.err).toContain('ECONNREFUSED');
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('--log-format text writes readable lines, application and decision logs alike', async () => {
    const child = spawn(
      process.execPath,
      // A long evaluation deadline: this test is about the log format, and a loaded test machine can pass 100 ms.
      [
        mainJs,
        'serve',
        '--grpc-addr',
        '127.0.0.1:0',
        '--http-addr',
        '127.0.0.1:0',
        '--admin-addr',
        '127.0.0.1:0',
        '--log-format',
        'text',
        '--eval-timeout-ms',
        '10000',
      ],
      {
        cwd: repoRoot,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const started = await until('the startup line', () => out.split('\n').find((l) => l.includes('INFO: mcp-authz started')));
      const port = Number(/"grpc_port":(\d+)/.exec(started)![1]);
      const client = checkClient(`127.0.0.1:${port}`);
      await client.check(mcpCheckRequest(toolCall('fetch_url', { url: 'https://malicious.com' })));
      client.close();
      const decision = await until('the decision line', () => out.split('\n').find((l) => l.includes('INFO: policy_decision')));
      expect(decision).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: policy_decision \{.*"rule":"url_not_allowed"/);
      expect(
        out
          .split('\n')
          .filter(Boolean)
          .every((l) => !l.startsWith('{')),
      ).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
