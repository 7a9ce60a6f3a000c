import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { loadDescriptors } from '../../src/envoy/descriptors.js';
import { startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

const request = mcpCheckRequest(toolCall('fetch_url', { url: 'https://httpbin.org/get' }));

describe('shutdown: NOT_SERVING first, answers during the drain delay, Watch streams end', () => {
  it('SIGTERM: health flips to NOT_SERVING while checks are still answered; then the port closes; exit 0, drained', async () => {
    const server = await startCli(['--shutdown-drain-delay', '1.5', '--shutdown-grace', '10']);
    const address = `127.0.0.1:${server.grpcPort}`;
    const client = checkClient(address);
    const pkg = grpc.loadPackageDefinition(loadDescriptors().packageDefinition) as any;
    const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    try {
      expect((await client.check(request)).status.code).toBe(0);
      // An open Watch stream, as a gRPC health watcher holds it.
      const watched: string[] = [];
      const watch = health.Watch({ service: '' });
      watch.on('data', (m: { status: string }) => watched.push(m.status));
      const watchEnd = new Promise<string>((resolve) => {
        watch.on('status', (s: grpc.StatusObject) => resolve(grpc.status[s.code]!));
        watch.on('error', () => undefined);
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(watched).toEqual(['SERVING']);

      const exited = server.stop('SIGTERM');
      // During the drain delay: NOT_SERVING, and every check still gets its answer (no UNAVAILABLE).
      let sawNotServing = false;
      const answers: number[] = [];
      const errors: string[] = [];
      for (let i = 0; i < 200 && !sawNotServing; i++) {
        sawNotServing = (await client.health()) === 'NOT_SERVING';
        if (!sawNotServing) await new Promise((r) => setTimeout(r, 10));
      }
      expect(sawNotServing).toBe(true);
      for (let i = 0; i < 20; i++) {
        await client.check(request).then(
          (r) => answers.push(r.status.code),
          (e: Error) => errors.push(e.message),
        );
      }
      expect(errors).toEqual([]);
      expect(answers.every((c) => c === 0)).toBe(true);

      expect(await exited).toBe(0);
      expect(await watchEnd).toBe('OK');
      expect(watched).toEqual(['SERVING', 'NOT_SERVING']);
      const logs = server.lines.map((l) => JSON.parse(l));
      expect(logs.find((l) => l.msg === 'draining: NOT_SERVING, still answering')).toMatchObject({ drain_delay_seconds: 1.5 });
      // The Watch stream did not hold the drain until the grace ran out.
      expect(logs.find((l) => l.msg === 'stopped')).toMatchObject({ drained: true });
    } finally {
      health.close();
      client.close();
      await server.stop();
    }
  });
});
