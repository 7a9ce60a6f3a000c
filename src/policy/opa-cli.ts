import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { findTool } from '../shared/tool-path.js';

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
      STARTUP_ERROR.opa_not_found,
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
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    const messages = opaMessages(`${stdout}\n${stderr}`);
    if (messages.length === 0) messages.push((err as Error).message);
    const wrongEntrypoint = messages.some((m) => /^entrypoint ".*" does not refer to a rule/.test(m));
    throw wrongEntrypoint
      ? new AuthzError(STARTUP_ERROR.entrypoint_not_found, `${policyDir} has no rule ${entrypoint}`, messages)
      : new AuthzError(STARTUP_ERROR.policy_compile_failed, `opa build failed for ${policyDir}`, messages);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * opa's own error lines, as `opa build` prints them (on stdout): `error: 1 error occurred during loading:
 * dir/a.rego:5: rego_parse_error: unexpected } token` becomes `dir/a.rego:5: rego_parse_error: unexpected } token`,
 * with opa's context lines (the source line and the caret, or have/want for type errors) kept under it, indented.
 */
export function opaMessages(output: string): string[] {
  const out: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    const summary = /^error: (?:load error: )?\d+ errors? occurred(?: during loading)?:\s*(.*)$/.exec(line);
    if (summary) {
      if (summary[1]) out.push(summary[1]);
    } else if (line.startsWith('\t') && out.length > 0) {
      out[out.length - 1] += `\n      ${line.slice(1)}`;
    } else {
      out.push(line.replace(/^error: /, ''));
    }
  }
  return out;
}
