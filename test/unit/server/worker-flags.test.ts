import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB, workerExecArgv } from '../../../src/server/worker-flags.js';

describe('cluster worker node flags', () => {
  it('adds the young-generation size to the primary flags', () => {
    expect(WORKER_SEMI_SPACE_MB).toBe(4);
    expect(workerExecArgv([], undefined)).toEqual(['--max-semi-space-size=4']);
    expect(workerExecArgv(['--enable-source-maps'], '--no-warnings')).toEqual(['--enable-source-maps', '--max-semi-space-size=4']);
  });

  it("keeps the operator's size from the node flags or NODE_OPTIONS", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'], undefined)).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv(['--max_semi_space_size', '2'], undefined)).toEqual(['--max_semi_space_size', '2']);
    expect(workerExecArgv([], '--enable-source-maps --max-semi-space-size=16')).toEqual([]);
    expect(workerExecArgv([], '--max-semi-space-size-other=1')).toEqual(['--max-semi-space-size=4']);
  });
});
