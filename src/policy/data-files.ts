import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';
import { mergeAt } from './bundle.js';

/** Read `--data` files (JSON, or YAML by extension) and merge them into `base`. Conflicts are errors. */
export async function mergeDataFiles(base: Record<string, unknown>, files: readonly string[]): Promise<Record<string, unknown>> {
  const data = structuredClone(base);
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.data_unreadable, `--data ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let value: unknown;
    try {
      value = /\.ya?ml$/i.test(file) ? parseYaml(text, { uniqueKeys: true }) : JSON.parse(text);
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.data_invalid, `--data ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    mergeAt(data, [], value ?? {}, file);
  }
  return data;
}
