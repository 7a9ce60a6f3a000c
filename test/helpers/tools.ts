import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findTool } from '../../src/shared/tool-path.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Absolute path of a tool: PATH first, then the project's .tools/bin (see scripts/install-tools.sh). */
export function toolPath(name: string): string {
  const path = findTool(name);
  if (!path) throw new Error(`${name} not found on PATH or in .tools/bin; run scripts/install-tools.sh`);
  return path;
}

/** `opa build -t wasm` of the embedded default policy (rego/, without its tests and examples) into the file `out`. */
export async function buildDefaultPolicy(out: string): Promise<void> {
  const args = [
    'build',
    '-t',
    'wasm',
    '-e',
    'mcp/authz/decision',
    '--ignore',
    '*_test.rego',
    '--ignore',
    'examples',
    '-o',
    out,
    join(repoRoot, 'rego'),
  ];
  await promisify(execFile)(toolPath('opa'), args);
}
