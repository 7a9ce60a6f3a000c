import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpStatus } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer } from '../helpers/server.js';
import { repoRoot, toolPath } from '../helpers/tools.js';

const run = promisify(execFile);
const dir = join(repoRoot, 'test/fixtures/policies/faults');
const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
  cases: { entrypoint: string; code: string; why: string; eval_timeout_ms?: number }[];
};
const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

describe('misbehaving decisions from real WASM are denied with their code over gRPC; the server keeps serving', () => {
  let tmp: string;
  let bundle: string;
  let data: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-faults-'));
    bundle = join(tmp, 'faults.tar.gz');
    const eps = [...cases.map((c) => c.entrypoint), 'faults/plain_allow'].flatMap((e) => ['-e', e]);
    await run(toolPath('opa'), ['build', '-t', 'wasm', ...eps, '-o', bundle, dir]);
    data = join(tmp, 'big.json');
    await writeFile(data, JSON.stringify({ faults: { big_1m: 'x'.repeat(1024 * 1024), big_8m: 'y'.repeat(8 * 1024 * 1024) } }));
  }, 120_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it.each(cases.map((c) => [c.entrypoint, c.code, c.why, c.eval_timeout_ms ?? 10_000] as const))(
    '%s → %s (%s)',
    async (entrypoint, code, _why, timeoutMs) => {
      const server = await startTestServer({ bundle, data: [data], entrypoint, 'eval-timeout-ms': String(timeoutMs) });
      try {
        const res = await server.client.check(request);
        expect(res.status.code).toBe(7);
        expect(res.ok_response).toBeFalsy();
        expect(httpStatus(res.denied_response.status)).toBe(500);
        expect(JSON.parse(res.denied_response.body)).toMatchObject({ error: 'authz_error', code });
        // Small enough for any gRPC client's default 4 MiB limit.
        expect(res.denied_response.body.length).toBeLessThan(64 * 1024);
        expect(server.decisions.at(-1)).toMatchObject({ reason_code: code });
        expect(await server.client.health()).toBe('SERVING');
        expect((await server.client.check(request)).status.code).toBe(7);
      } finally {
        await server.close();
      }
    },
  );

  it('the same bundle and data allow through the control entrypoint', async () => {
    const server = await startTestServer({ bundle, data: [data], entrypoint: 'faults/plain_allow' });
    try {
      expect((await server.client.check(request)).status.code).toBe(0);
    } finally {
      await server.close();
    }
  });
});
