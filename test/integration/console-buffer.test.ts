import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { consoleConfigSchema } from '../../src/admin/console/console-config.js';
import { createDecisionSampler, DecisionRing } from '../../src/admin/console/decision-feed.js';
import { createRedactor } from '../../src/observability/redact.js';
import { startCli } from '../helpers/cli.js';
import { checkClient } from '../helpers/grpc-client.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';

// The console keeps its recent decisions bounded by bytes (issue 22 §4b): with 1 MiB bodies the primary held
// ~900 MB for 1000 full inputs. Inputs are kept redacted and truncated (console.input_max_bytes), the ring by
// console.buffer_max_bytes; the buffer's own accounting is what is asserted, not the process's memory.

const tmp = mkdtempSync(join(tmpdir(), 'mcp-authz-console-buffer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tools/call whose body is about 1 MiB (under body.max_bytes), different each time (no cache hit). */
const bigCall = (i: number) => toolCall('write_file', { path: `/tmp/f${i}`, content: `${i}:${'x'.repeat(1_000_000)}`, token: 'secret-token' });

describe('the console buffer with 1 MiB bodies', () => {
  it('the default bounds: 1000 sampled decisions stay under console.buffer_max_bytes, each input truncated', () => {
    const cfg = consoleConfigSchema.parse({});
    const ring = new DecisionRing(cfg.buffer_size, cfg.buffer_max_bytes);
    const sampler = createDecisionSampler({
      perSecond: 100_000,
      redactor: createRedactor(['arguments.token']),
      inputMaxBytes: cfg.input_max_bytes,
      sink: (d) => ring.add(d),
    });
    const input = { mcp: { method: 'tools/call', tool: 'write_file', arguments: { content: 'x'.repeat(1024 * 1024), token: 'secret-token' } } };
    for (let i = 0; i < 1000; i++)
      sampler.offer({
        decision: { kind: 'allow', allowed: true, reasonCode: 'ok' } as never,
        view: { input: input as never },
        durationSeconds: 0.001,
      });
    expect(ring.latest()).toBe(1000);
    expect(ring.bytes()).toBeLessThanOrEqual(cfg.buffer_max_bytes);
    // 1000 full inputs would be counted as more than 2 GB; truncated ones all fit.
    expect(ring.size()).toBe(1000);
    const kept = ring.get(1000)!;
    expect(kept.input_truncated).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(kept.input))).toBeLessThanOrEqual(cfg.input_max_bytes);
    expect(JSON.stringify(kept.input)).not.toContain('secret-token');
    expect(JSON.stringify(kept.input)).toMatch(/x…\[\d+ more characters\]/);
  });

  for (const workers of ['1', '2']) {
    it(`serve --workers ${workers}: the ring holds at most console.buffer_max_bytes, the oldest dropped first`, async () => {
      const config = join(tmp, `config-${workers}.yaml`);
      writeFileSync(
        config,
        [
          'cache:\n  enabled: false',
          'console:\n  buffer_max_bytes: 262144\n  input_max_bytes: 16384',
          'observability:\n  decision_log:\n    redact_fields: [arguments.token]\n',
        ].join('\n'),
      );
      const server = await startCli(['--workers', workers, '--config', config]);
      const adminPort = server.lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'mcp-authz started').admin_port as number;
      const admin = async (path: string) => (await fetch(`http://127.0.0.1:${adminPort}${path}`)).json() as Promise<any>;
      const client = checkClient(`127.0.0.1:${server.grpcPort}`);
      try {
        const n = 24;
        for (let i = 0; i < n; i++) {
          const res = await client.check(mcpCheckRequest(bigCall(i)));
          expect(res.status).toBeDefined(); // answered, allowed or denied
        }
        await expect.poll(async () => (await admin('/v1/decisions')).latest, { timeout: 20_000 }).toBe(n);
        const list = await admin('/v1/decisions?limit=1000');
        expect(list.bytes).toBeGreaterThan(0);
        expect(list.bytes).toBeLessThanOrEqual(262144);
        // Each kept decision is counted as ~2 × 16 KiB: a handful fit, and they are the newest.
        expect(list.size).toBeGreaterThanOrEqual(3);
        expect(list.size).toBeLessThan(n);
        expect(list.decisions.map((d: { seq: number }) => d.seq)).toEqual(Array.from({ length: list.size }, (_, k) => n - k));
        const newest = await admin(`/v1/decisions/${n}`);
        expect(newest.input_truncated).toBe(true);
        const json = JSON.stringify(newest.input);
        expect(Buffer.byteLength(json)).toBeLessThanOrEqual(16384);
        expect(json).toContain(`${n - 1}:xxxx`);
        expect(json).toMatch(/more characters\]/);
        expect(json).not.toContain('secret-token');
      } finally {
        client.close();
        await server.stop();
      }
    }, 180_000);
  }
});
