import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFromBundleBytes } from '../../../src/policy/load.js';
import { createDeadlineEvaluator } from '../../../src/rego-wasm/deadline-evaluator.js';
import { PolicyTimeoutError } from '../../../src/rego-wasm/evaluator.js';
import type { Policy } from '../../../src/rego-wasm/opa-wasm.js';
import { repoRoot, toolPath } from '../../helpers/tools.js';

const run = promisify(execFile);

// Real `opa build` output: faults/spin loops for hours without allocating; faults/plain_allow is true.
describe('deadline evaluator: on the calling thread, cut off by the fuel meter', () => {
  let tmp: string;
  let spin: Policy;
  let allow: Policy;
  /** An evaluation thread that cannot start: whatever reaches a thread fails with a crash, never a timeout. */
  let noThread: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'mcp-authz-deadline-eval-'));
    const out = join(tmp, 'b.tar.gz');
    const dir = join(repoRoot, 'test/fixtures/policies/faults');
    await run(toolPath('opa'), ['build', '-t', 'wasm', '-e', 'faults/spin', '-e', 'faults/plain_allow', '-o', out, dir]);
    const bytes = await readFile(out);
    const cfg = (entrypoint: string) => ({ dataFiles: [], entrypoint, maxMemoryPages: 2048 });
    spin = await loadPolicyFromBundleBytes(bytes, cfg('faults/spin'), 'spin');
    allow = await loadPolicyFromBundleBytes(bytes, cfg('faults/plain_allow'), 'allow');
    noThread = join(tmp, 'crash-worker.mjs');
    await writeFile(noThread, 'throw new Error("no thread in this test");\n');
  }, 60_000);
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  it('answers synchronously on the calling thread, as the in-process evaluation', async () => {
    const ev = createDeadlineEvaluator({ timeoutMs: 100, workerFile: noThread });
    try {
      const r = ev.evaluate(allow, { a: 1 });
      expect(r).not.toBeInstanceOf(Promise);
      expect(r).toEqual(allow.evaluate({ a: 1 }));
    } finally {
      await ev.close();
    }
  });

  it('a deadline within the slice: the loop is cut off on the calling thread, the next checks are answered', async () => {
    const restarts: unknown[] = [];
    const ev = createDeadlineEvaluator({ timeoutMs: 20, sliceMs: 20, workerFile: noThread, onRestart: (i) => restarts.push(i) });
    try {
      for (let i = 0; i < 3; i++) {
        expect(() => ev.evaluate(spin, {})).toThrow(PolicyTimeoutError);
        expect(ev.evaluate(allow, { i })).toEqual([{ result: true }]);
      }
      let err: unknown;
      try {
        ev.evaluate(spin, {});
      } catch (e) {
        err = e;
      }
      expect((err as PolicyTimeoutError).code).toBe('policy_timeout');
      expect((err as PolicyTimeoutError).timeoutMs).toBe(20);
      expect(restarts).toHaveLength(4);
      expect(restarts[0]).toEqual({ reason: 'timeout', revision: spin.revision });
      expect(ev.restarts()).toBe(4);
    } finally {
      await ev.close();
    }
  });

  it('a longer deadline: after the slice the evaluation finishes on a thread, the calling thread stays free', async () => {
    const ev = createDeadlineEvaluator({ timeoutMs: 300, sliceMs: 5 });
    try {
      let ticks = 0;
      const tick = setInterval(() => ticks++, 5);
      const slow = ev.evaluate(spin, {});
      expect(slow).toBeInstanceOf(Promise);
      // Answered while the runaway one runs on the thread.
      expect(ev.evaluate(allow, {})).toEqual([{ result: true }]);
      const err = await (slow as Promise<unknown>).catch((e: unknown) => e);
      clearInterval(tick);
      expect(err).toBeInstanceOf(PolicyTimeoutError);
      expect((err as PolicyTimeoutError).timeoutMs).toBe(300);
      expect(ticks).toBeGreaterThan(3);
      expect(ev.restarts()).toBe(1);
    } finally {
      await ev.close();
    }
  });

  it('after close every evaluation is refused', async () => {
    const ev = createDeadlineEvaluator({ timeoutMs: 100 });
    await ev.close();
    expect(() => ev.evaluate(allow, {})).toThrow(/closed/);
  });
});
