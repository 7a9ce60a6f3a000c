import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthzError } from '../errors.js';
import { findTool } from '../tool-path.js';

const run = promisify(execFile);

/** The `opa` CLI: PATH first, then the project's .tools/bin (scripts/install-tools.sh). */
export const findOpa = (env: NodeJS.ProcessEnv = process.env): string | undefined => findTool('opa', env);

/**
 * Compile a directory of .rego files to a WASM bundle with `opa build -t wasm`, like `opa run --server dir/`
 * would load it. Test files (*_test.rego) and `examples` directories are left out. Returns the bundle bytes.
 */
export async function buildWasmBundle(policyDir: string, entrypoint: string): Promise<Buffer> {
  const opa = findOpa();
  if (!opa) {
    throw new AuthzError(
      'opa_not_found',
      `--policy ${policyDir} needs the opa CLI to compile Rego to WebAssembly, and opa is not on PATH`,
      ['install it with scripts/install-tools.sh (go install github.com/open-policy-agent/opa@<version>)', 'or pass a prebuilt bundle with --bundle'],
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-build-'));
  try {
    const out = join(dir, 'bundle.tar.gz');
    await run(opa, ['build', '-t', 'wasm', '-e', entrypoint, '--ignore', '*_test.rego', '--ignore', 'examples', '-o', out, policyDir], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return await readFile(out);
  } catch (err) {
    if (err instanceof AuthzError) throw err;
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new AuthzError('policy_compile_failed', `opa build failed for ${policyDir}`, stderr ? stderr.split('\n') : [(err as Error).message]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
