import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { toolPath } from '../helpers/tools.js';

const run = promisify(execFile);

// A policy that allows every tool call, but loops for hours when the tool is "spin".
const POLICY = `package spin

default decision := {"allowed": true}

decision := {"allowed": false, "rule": "never"} if {
	input.mcp.tool == "spin"
	r := numbers.range(1, 100000)
	every i in r {
		every j in r {
			i != "x"
			j != "x"
		}
	}
}
`;

describe('evaluation on the calling thread: a loop is cut off by the fuel meter, the server keeps serving', () => {
  let tmp: string;
  let server: TestServer;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-calling-thread-'));
    await writeFile(join(tmp, 'spin.rego'), POLICY);
    const bundle = join(tmp, 'spin.tar.gz');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'spin/decision', '-o', bundle, join(tmp, 'spin.rego')]);
    // A deadline no longer than the calling thread's slice (10 ms): the evaluation never leaves the serving thread.
    server = await startTestServer({ bundle, entrypoint: 'spin/decision', 'eval-timeout-ms': '10' });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('the looping check is denied with policy_timeout; checks and health around it are answered', async () => {
    const ok = (i: number) => server.client.check(mcpCheckRequest(toolCall('get_weather', { city: 'Oslo' }, i)));
    const spin = (i: number) => server.client.check(mcpCheckRequest(toolCall('spin', {}, i)));
    const [before, looped, during, health, again] = await Promise.all([ok(1), spin(2), ok(3), server.client.health(), spin(4)]);
    expect(before.status.code).toBe(0);
    expect(during.status.code).toBe(0);
    expect(health).toBe('SERVING');
    for (const r of [looped, again]) {
      expect(r.status.code).toBe(7);
      expect(JSON.parse(r.denied_response.body)).toMatchObject({ error: 'authz_error', code: 'policy_timeout' });
    }
    // The instance was made again after each cut-off: the next checks evaluate as before.
    expect((await ok(5)).status.code).toBe(0);
    expect(await server.client.health()).toBe('SERVING');
    expect(server.decisions.filter((d) => d.reason_code === 'policy_timeout')).toHaveLength(2);
    const text = (await server.app.metrics.text()).body;
    expect(text).toMatch(/^mcp_authz_policy_eval_restarts_total\{reason="timeout"\} 2$/m);
  });
});
