import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningServer } from '../helpers/cli.js';
import { repoRoot, toolPath } from '../helpers/tools.js';

const exec = promisify(execFile);

/** grpcurl as a user runs it: reflection only, no proto flags. */
async function grpcurl(args: string[], stdin?: string): Promise<string> {
  const p = exec(toolPath('grpcurl'), ['-plaintext', ...args], { timeout: 30_000 });
  if (stdin !== undefined) {
    p.child.stdin!.write(stdin);
    p.child.stdin!.end();
  }
  return (await p).stdout;
}

const checkJson = (url: string) =>
  JSON.stringify({
    attributes: {
      source: { principal: 'spiffe://cluster.local/ns/agents/sa/demo' },
      request: {
        http: {
          method: 'POST',
          path: '/mcp',
          host: 'mcp.127-0-0-1.sslip.io',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'fetch_url', arguments: { url } } }),
        },
      },
    },
  });

describe('grpcurl end to end against `mcp-authz serve` (embedded default policy)', () => {
  let server: RunningServer;
  let addr: string;
  beforeAll(async () => {
    server = await startCli([]);
    addr = `127.0.0.1:${server.grpcPort}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('list shows the Authorization and Health services', async () => {
    const out = await grpcurl([addr, 'list']);
    expect(out.split('\n')).toEqual(expect.arrayContaining(['envoy.service.auth.v3.Authorization', 'grpc.health.v1.Health']));
    // docs/istio.md says what `list` prints; it must be exactly that (reflection answers list but is not listed).
    const doc = readFileSync(join(repoRoot, 'docs/istio.md'), 'utf8');
    const documented = /grpcurl -plaintext 127\.0\.0\.1:9191 list +# (.+)$/m.exec(doc)?.[1];
    expect(documented?.split(', ')).toEqual(out.split('\n').filter((l) => l !== ''));
  });

  it('describe resolves CheckRequest and its imports (Struct, Timestamp, Envoy core types)', async () => {
    const out = await grpcurl([addr, 'describe', 'envoy.service.auth.v3.CheckRequest']);
    expect(out).toContain('message CheckRequest');
    const ctx = await grpcurl([addr, 'describe', 'envoy.service.auth.v3.AttributeContext.Request']);
    expect(ctx).toContain('google.protobuf.Timestamp time');
  });

  it('Check denies https://malicious.com with the JSON denial body', async () => {
    const out = JSON.parse(await grpcurl(['-d', '@', addr, 'envoy.service.auth.v3.Authorization/Check'], checkJson('https://malicious.com')));
    expect(out.status.code).toBe(7);
    expect(out.deniedResponse.status.code).toBe('Forbidden');
    expect(JSON.parse(out.deniedResponse.body)).toEqual({
      error: 'policy_denied',
      rule: 'url_not_allowed',
      message: 'URL https://malicious.com is not in the approved list for tool fetch_url',
    });
    expect(out.deniedResponse.headers).toContainEqual({
      header: { key: 'content-type', value: 'application/json' },
      appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
  });

  it('Check allows https://httpbin.org/get', async () => {
    const out = JSON.parse(await grpcurl(['-d', '@', addr, 'envoy.service.auth.v3.Authorization/Check'], checkJson('https://httpbin.org/get')));
    expect(out.status?.code ?? 0).toBe(0);
    expect(out.okResponse.headers).toContainEqual({
      header: { key: 'x-mcp-authz-decision', value: 'allow' },
      appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
    });
  });

  it('Check denies the metadata endpoint', async () => {
    const out = JSON.parse(
      await grpcurl(['-d', '@', addr, 'envoy.service.auth.v3.Authorization/Check'], checkJson('http://169.254.169.254/latest/meta-data')),
    );
    expect(out.status.code).toBe(7);
    expect(JSON.parse(out.deniedResponse.body).rule).toBe('metadata_endpoint');
  });

  it('grpc.health.v1 reports SERVING', async () => {
    const out = JSON.parse(await grpcurl(['-d', '{"service":"envoy.service.auth.v3.Authorization"}', addr, 'grpc.health.v1.Health/Check']));
    expect(out.status).toBe('SERVING');
  });

  it('exits 0 on SIGTERM', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});
