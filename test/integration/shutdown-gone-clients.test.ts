import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { startCli } from '../helpers/cli.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile } from '../helpers/server.js';

// Checks whose client has gone are still finished before the server lets go of the evaluator (issue 22 §4b): they
// were logged as policy_eval_error "the evaluator is closed" once the connection (and so the gRPC drain) was gone.

const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-gone-clients-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('shutdown with checks whose client has gone', () => {
  it('waits for their evaluation and logs their real decision, not policy_eval_error', async () => {
    // About a second of evaluation: past the calling thread's slice, it finishes on the evaluation thread.
    const dir = join(tmp, 'policy');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    writeFileSync(
      join(dir, 'policy.rego'),
      'package gone\n\nimport rego.v1\n\nr := numbers.range(1, 700)\n\nfound if {\n  some x in r\n  some y in r\n  x * y == 7\n  x > 7\n}\n\nallow if not found\n',
    );
    const { file } = await buildBundleFile(dir, 'gone/allow');
    const server = await startCli(['--workers', '1', '--bundle', file, '--entrypoint', 'gone/allow', '--shutdown-grace', '30']);
    const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition) as any;
    const client = new pkg.envoy.service.auth.v3.Authorization(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://example.com/gone' }));
      const started = Date.now();
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.Check(request, { deadline: Date.now() + 200 }, (e: grpc.ServiceError | null) => resolve(e)),
      );
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      client.close(); // the client is gone: no connection for the gRPC drain to wait on
      const exited = server.stop('SIGTERM');
      expect(await exited).toBe(0);
      const logs = server.lines.map((l) => JSON.parse(l) as Record<string, any>);
      const decisions = logs.filter((l) => l.msg === 'decision' || l.decision_id !== undefined || l.reason_code !== undefined);
      const failed = logs.filter((l) => JSON.stringify(l).includes('policy_eval_error') || JSON.stringify(l).includes('the evaluator is closed'));
      expect(failed).toEqual([]);
      expect(decisions.length, JSON.stringify(logs.slice(-6))).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(decisions.at(-1))).toMatch(/allow/);
      expect(Date.now() - started).toBeGreaterThan(200);
    } finally {
      client.close();
      await server.stop();
    }
  }, 120_000);
});
