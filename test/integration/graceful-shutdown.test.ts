import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile } from '../helpers/server.js';
import { repoRoot } from '../helpers/tools.js';

describe('graceful shutdown under load', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: health flips, in-flight checks all answered, exit 0', async (signal) => {
    // A slow policy keeps checks in flight long enough for the signal to land among them.
    const { file } = await buildBundleFile(join(repoRoot, 'test/fixtures/policies/slow'), 'slow/allow');
    const server = await startCli(['--bundle', file, '--entrypoint', 'slow/allow', '--shutdown-grace', '20']);
    const client = checkClient(`127.0.0.1:${server.grpcPort}`);
    const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));
    try {
      await client.check(request); // connection established, policy warm
      const inFlight = Array.from({ length: 40 }, () =>
        client.check(request).then(
          (res) => ({ ok: true as const, code: res.status?.code ?? 0 }),
          (err: Error) => ({ ok: false as const, err: err.message }),
        ),
      );
      // Let the requests reach the server, then signal while most are still queued or evaluating.
      await new Promise((r) => setTimeout(r, 100));
      const exitCode = server.stop(signal);
      const results = await Promise.all(inFlight);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      expect(results.every((r) => r.ok && r.code === 0)).toBe(true);
      expect(await exitCode).toBe(0);
      const logs = server.lines.map((l) => JSON.parse(l));
      expect(logs.some((l) => l.msg === 'shutting down' && l.signal === signal)).toBe(true);
      expect(logs.some((l) => l.msg === 'stopped' && l.drained === true)).toBe(true);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
