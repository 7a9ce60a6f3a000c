import { parseArgs } from 'node:util';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
}

export interface ParsedArgs {
  flags: Record<string, string | string[] | boolean | undefined>;
  positionals: string[];
  /** Every problem found (unknown flags, missing values); reported together. */
  problems: string[];
}

/** Parse argv leniently, then list every unknown flag or missing value instead of stopping at the first. */
export function parseFlags(argv: string[], specs: readonly FlagSpec[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const s of specs) options[s.name] = { type: s.type, ...(s.multiple ? { multiple: true } : {}) };
  const known = new Map(specs.map((s) => [s.name, s]));
  const { values, positionals, tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });

  const problems: string[] = [];
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    const spec = known.get(t.name);
    if (!spec) problems.push(`unknown flag ${t.rawName}`);
    else if (spec.type === 'string' && (t.value === undefined || t.value === '')) problems.push(`${t.rawName} needs a value`);
    else if (spec.type === 'boolean' && t.value !== undefined) problems.push(`${t.rawName} takes no value`);
  }
  const flags: ParsedArgs['flags'] = {};
  for (const s of specs) {
    const v = values[s.name];
    if (v !== undefined) flags[s.name] = v as string | string[] | boolean;
  }
  return { flags, positionals, problems };
}
