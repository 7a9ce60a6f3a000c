import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Absolute path of a tool: PATH first, then the project's .tools/bin (see scripts/install-tools.sh). */
export function toolPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  const local = join(repoRoot, '.tools', 'bin', name);
  if (existsSync(local)) return local;
  throw new Error(`${name} not found on PATH or in .tools/bin; run scripts/install-tools.sh`);
}
