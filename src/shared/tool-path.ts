import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { packageRoot } from './package-root.js';

/**
 * Where a CLI tool (opa, grpcurl, buf, ghz) is: PATH first, as the user installed it, then the project's
 * .tools/bin (scripts/install-tools.sh). Undefined when neither has it.
 */
export function findTool(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  try {
    const local = join(packageRoot(), '.tools', 'bin', name);
    if (existsSync(local)) return local;
  } catch {
    // not running from a checkout
  }
  return undefined;
}
