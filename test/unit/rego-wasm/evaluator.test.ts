import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluator, PolicyTimeoutError } from '../../../src/rego-wasm/evaluator.js';
import { loadPolicyFromBundleBytes } from '../../../src/policy/load.js';
import type { Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { repoRoot, toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);

// Real `opa build` output: faults/spin loops for hours without allocating; faults/plain_allow is true.
describe('evaluator: evaluation on a worker thread that is stopped at the deadline', () => {
  let tmp: string;
  let spin: Policy;
  let allow: Policy;
  let other: Policy;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-eval-'));
    const out = join(tmp, 'b.tar.gz');
    await run(toolPath('opa'), [
      'build',
      '-t',
      'wasm',
      '-e',
      'faults/spin',
      '-e',
      'faults/plain_allow',
      '-e',
      'faults/deny_200',
      '-o',
      out,
      join(repoRoot, 'test/fixtures/policies/faults'),
    ]);
    const bytes = await readFile(out);
    const cfg = (entrypoint: string) => ({ dataFiles: [], entrypoint, maxMemoryPages: 2048 });
    spin = await loadPolicyFromBundleBytes(bytes, cfg('faults/spin'), 'spin');
    allow = await loadPolicyFromBundleBytes(bytes, cfg('faults/plain_allow'), 'allow');
    other = await loadPolicyFromBundleBytes(bytes, cfg('faults/deny_200'), 'other');
  }, 60_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('answers what the in-process evaluation answers', async () => {
    const ev = createEvaluator({ timeoutMs: 5000 });
    try {
      expect(await ev.evaluate(allow, { a: 1 })).toEqual(allow.evaluate({ a: 1 }));
      expect(await ev.evaluate(other, {})).toEqual(other.evaluate({}));
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => ev.evaluate(i % 2 ? allow : other, { i })));
      expect(many.filter((r) => JSON.stringify(r) === '[{"result":true}]')).toHaveLength(100);
      expect(ev.restarts()).toBe(0);
    } finally {
      await ev.close();
    }
  });

  it('stops a runaway evaluation: that check fails with PolicyTimeoutError, the queued ones are answered, the thread is replaced', async () => {
    const restarts: unknown[] = [];
    const ev = createEvaluator({ timeoutMs: 100, onRestart: (i) => restarts.push(i) });
    try {
      ev.prepare(allow);
      // The main thread stays free meanwhile: a timer keeps ticking while the evaluation thread spins.
      let ticks = 0;
      const tick = setInterval(() => ticks++, 5);
      const results = await Promise.allSettled([
        ev.evaluate(allow, { n: 1 }),
        ev.evaluate(spin, {}),
        ev.evaluate(allow, { n: 2 }),
        ev.evaluate(other, {}),
      ]);
      clearInterval(tick);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(PolicyTimeoutError);
      expect((results[1] as PromiseRejectedResult).reason.code).toBe('policy_timeout');
      expect(ticks).toBeGreaterThan(3);
      expect(restarts).toEqual([{ reason: 'timeout', revision: spin.revision }]);
      expect(ev.restarts()).toBe(1);
      // Twice more: every runaway is stopped, and the evaluator keeps answering afterwards.
      await expect(ev.evaluate(spin, {})).rejects.toBeInstanceOf(PolicyTimeoutError);
      await expect(ev.evaluate(spin, {})).rejects.toBeInstanceOf(PolicyTimeoutError);
      expect(await ev.evaluate(allow, {})).toEqual([{ result: true }]);
      expect(ev.restarts()).toBe(3);
    } finally {
      await ev.close();
    }
  });

  it('a thread that cannot run fails the checks (never leaves them hanging)', async () => {
    const bad = join(tmp, 'crash-worker.mjs');
    await writeFile(bad, 'throw new Error("boom at start");\n');
    const ev = createEvaluator({ timeoutMs: 1000, workerFile: bad });
    try {
      const results = await Promise.allSettled([ev.evaluate(allow, {}), ev.evaluate(allow, {})]);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
    } finally {
      await ev.close();
    }
  });

  it('after close every evaluation is refused', async () => {
    const ev = createEvaluator({ timeoutMs: 1000 });
    await ev.close();
    await expect(ev.evaluate(allow, {})).rejects.toThrow(/closed/);
  });
});
