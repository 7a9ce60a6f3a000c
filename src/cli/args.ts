import { parseArgs } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** The value's placeholder in --help (`FILE`, `host:port`). */
  value?: string;
  /** One line for --help. */
  help?: string;
  /** Shown in --help as `[default: …]`. */
  default?: string;
  /** Environment variable that sets the same thing, shown in --help as `[env: …]`. */
  env?: string;
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
  // `-` alone is a value (stdin), never a flag: node's parseArgs already treats it as a positional or a value.
  const { values, positionals, tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });

  const problems: string[] = [];
  // `--entrypiont x`: x is the mistyped flag's value, not a stray argument (reported once, as the unknown flag).
  const swallowed = new Set<number>();
  const all = tokens ?? [];
  for (const [i, t] of all.entries()) {
    if (t.kind !== 'option') continue;
    const spec = known.get(t.name);
    const next = all[i + 1];
    if (!spec && t.value === undefined && next?.kind === 'positional') swallowed.add(next.index);
    if (!spec) problems.push(`unknown flag ${t.rawName}${didYouMean(t.name, specs)}`);
    else if (spec.type === 'string' && (t.value === undefined || t.value === ''))
      problems.push(`${t.rawName} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    else if (spec.type === 'boolean' && t.value !== undefined) problems.push(`${t.rawName} takes no value`);
  }
  const flags: ParsedArgs['flags'] = {};
  for (const s of specs) {
    const v = values[s.name];
    if (v !== undefined) flags[s.name] = v as string | string[] | boolean;
  }
  const kept = all.filter((t) => t.kind === 'positional' && !swallowed.has(t.index)).map((t) => (t as { value: string }).value);
  return { flags, positionals: tokens ? kept : positionals, problems };
}

/** ` (did you mean --entrypoint?)` when a known flag is close enough to be the intended one. */
export function didYouMean(name: string, specs: readonly FlagSpec[]): string {
  if (specs.length === 0) return '';
  const names = specs.map((s) => s.name);
  const best = closest(name, names);
  const limit = Math.max(2, Math.floor(best.length / 3));
  if (distance(name, best) <= limit || best.startsWith(name) || name.startsWith(best)) return ` (did you mean --${best}?)`;
  return '';
}

/** The flags section of a command's --help: one flag per line, with its default and environment variable. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = (s: FlagSpec) => `--${s.name}${s.value ? ` ${s.value}` : ''}`;
  const width = Math.max(...specs.map((s) => left(s).length)) + 2;
  return specs
    .filter((s) => s.help)
    .map((s) => {
      const extras = [s.default !== undefined ? `default: ${s.default}` : '', s.env ? `env: ${s.env}` : '', s.multiple ? 'repeatable' : '']
        .filter(Boolean)
        .join(', ');
      return `  ${left(s).padEnd(width)}${s.help}${extras ? ` [${extras}]` : ''}`;
    })
    .join('\n');
}
