import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { fsCause } from '../shared/fs-cause.js';
import { mergeAt } from './bundle.js';

/**
 * Read `--data` files (JSON, or YAML by extension) and merge them into `base`. Conflicts are errors. `read`, when
 * given, gets each file's own document (to name the file a problem of the merged data comes from).
 */
export async function mergeDataFiles(
  base: Record<string, unknown>,
  files: readonly string[],
  read?: { file: string; value: unknown }[],
): Promise<Record<string, unknown>> {
  const data = structuredClone(base);
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const isDir = (err as NodeJS.ErrnoException).code === 'EISDIR';
      throw new AuthzError(
        STARTUP_ERROR.data_unreadable,
        `--data ${file}: ${isDir ? 'is a directory; --data takes a JSON or YAML file (repeat --data for several)' : fsCause(err)}`,
      );
    }
    let value: unknown;
    try {
      value = /\.ya?ml$/i.test(file) ? parseYaml(text, { uniqueKeys: true }) : JSON.parse(text);
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.data_invalid, `--data ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    // Its own copy: merging hands the first file's objects to the result, where later files' keys are added.
    read?.push({ file, value: structuredClone(value) });
    mergeAt(data, [], value ?? {}, file);
  }
  return data;
}
