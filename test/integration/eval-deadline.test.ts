import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { repoRoot, toolPath } from '../helpers/tools.js';

const run = promisify(execFile);
const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

describe('evaluation deadline: a runaway policy is stopped, the server keeps answering meanwhile', () => {
  let tmp: string;
  let server: TestServer;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-deadline-'));
    const bundle = join(tmp, 'spin.tar.gz');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'faults/spin', '-o', bundle, join(repoRoot, 'test/fixtures/policies/faults')]);
    server = await startTestServer({ bundle, entrypoint: 'faults/spin', 'eval-timeout-ms': '400' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('health and metrics are answered while the evaluation spins; the check is denied with policy_timeout', async () => {
    let checkDone = false;
    const check = server.client.check(request).then((r) => {
      checkDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(await server.client.health()).toBe('SERVING');
    const metrics = await fetch(`http://127.0.0.1:${server.app.http.port}/metrics`);
    expect(metrics.status).toBe(200);
    // Both answered before the runaway check ended: the serving thread was never blocked.
    expect(checkDone).toBe(false);

    const res = await check;
    expect(res.status.code).toBe(7);
    expect(JSON.parse(res.denied_response.body)).toMatchObject({ error: 'authz_error', code: 'policy_timeout' });
    expect(server.decisions.at(-1)).toMatchObject({ reason_code: 'policy_timeout' });
    const text = (await server.app.metrics.text()).body;
    expect(text).toMatch(/^mcp_authz_policy_eval_restarts_total\{reason="timeout"\} 1$/m);
    expect(text).toMatch(/^mcp_authz_checks_total\{[^}]*reason_code="policy_timeout"[^}]*\} 1$/m);

    // Every later runaway is stopped the same way.
    const again = await Promise.all([server.client.check(request), server.client.check(request)]);
    expect(again.map((r) => JSON.parse(r.denied_response.body).code)).toEqual(['policy_timeout', 'policy_timeout']);
    expect(await server.client.health()).toBe('SERVING');
  });
});
