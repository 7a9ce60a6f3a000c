import { resolve } from 'node:path';
import { findTool } from '../../src/shared/tool-path.js';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Absolute path of a tool: PATH first, then the project's .tools/bin (see scripts/install-tools.sh). */
export function toolPath(name: string): string {
  const path = findTool(name);
  if (!path) throw new Error(`${name} not found on PATH or in .tools/bin; run scripts/install-tools.sh`);
  return path;
}
