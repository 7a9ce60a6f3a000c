import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringifyExact } from '../../src/rego-wasm/builtins/exact-json.js';
import { createHostBuiltins } from '../../src/rego-wasm/builtins/index.js';
import { readWasmBundle } from '../../src/policy/bundle.js';
import { compilePolicyModule, instantiatePolicy } from '../../src/rego-wasm/wasm-runtime.js';
import { toolPath } from '../helpers/tools.js';

const run = promisify(execFile);

/** One Rego expression; `name` says which builtin it exercises. */
export interface Case {
  builtin: string;
  expr: string;
}

export interface Outcome {
  case: Case;
  opa: string;
  wasm: string;
}

const UNDEFINED = '<undefined>';

/**
 * Canonical text of a JSON result for comparison: object keys sorted, integers as their exact digits, other
 * numbers as JavaScript prints the double (OPA and the WASM module may spell 1e3 and 1000 differently).
 */
export function canonical(text: string): string {
  const value: unknown = JSON.parse(text, (_k, v, ctx?: { source?: string }) =>
    typeof v === 'number' && ctx?.source !== undefined && /^-?\d+$/.test(ctx.source) ? { $int: BigInt(ctx.source).toString() } : v,
  );
  const walk = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(walk).join(',')}]`;
    if (v && typeof v === 'object') {
      if ('$int' in v && Object.keys(v).length === 1) return (v as { $int: string }).$int;
      return `{${Object.keys(v)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k])}`)
        .join(',')}}`;
    }
    if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v).toString() : String(v);
    return JSON.stringify(v);
  };
  return walk(value);
}

/** Raw result members of a JSON object text, each kept as its own JSON text (no precision lost). */
function members(objectText: string): Map<string, string> {
  const obj = JSON.parse(objectText, (_k, v, ctx?: { source?: string }) =>
    typeof v === 'number' ? { $raw: ctx?.source ?? String(v) } : v,
  ) as Record<string, unknown>;
  const out = new Map<string, string>();
  const back = (v: unknown): string => JSON.stringify(v, (_k, x) => x).replace(/\{"\$raw":"([^"]*)"\}/g, '$1');
  for (const [k, v] of Object.entries(obj ?? {})) out.set(k, back(v));
  return out;
}

/**
 * Evaluate every case twice: with `opa eval` over one Rego document holding a rule per case, and through
 * mcp-authz's loader (the same document compiled by `opa build -t wasm`). One oracle call per batch.
 */
export async function differential(cases: Case[], pkg = 'diff'): Promise<Outcome[]> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-authz-diff-'));
  try {
    const lines = [`package ${pkg}`, ''];
    for (const [i, c] of cases.entries()) lines.push(`r${i} := ${c.expr}`);
    const rego = join(dir, 'cases.rego');
    await writeFile(rego, `${lines.join('\n')}\n`);
    const opa = toolPath('opa');
    const bundle = join(dir, 'bundle.tar.gz');
    const withStderr = (p: Promise<{ stdout: string }>) =>
      p.catch((err: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
      });
    const [evalOut] = await Promise.all([
      withStderr(run(opa, ['eval', '--format', 'json', '-d', rego, `data.${pkg}`], { maxBuffer: 256 * 1024 * 1024 })),
      withStderr(run(opa, ['build', '-t', 'wasm', '-e', pkg, '-o', bundle, rego], { maxBuffer: 64 * 1024 * 1024 })),
    ]);
    const oracleText = evalOut.stdout;
    const start = oracleText.indexOf('"value":');
    const oracle = members(extractValue(oracleText, start));

    const { wasm } = await readWasmBundle(await readFile(bundle), pkg, bundle);
    const builtins = createHostBuiltins();
    const { module, nativeIds, memoryMinPages } = await compilePolicyModule(new Uint8Array(wasm), builtins.natives);
    const instance = await instantiatePolicy(module, { initial: Math.max(5, memoryMinPages), maximum: 8192 }, builtins.functions, nativeIds);
    instance.setData({});
    builtins.startEvaluation();
    const resultText = instance.evaluateJson({}, instance.entrypoints[pkg]!);
    const wasmSet = JSON.parse(resultText, (_k, v, ctx?: { source?: string }) =>
      typeof v === 'number' ? { $raw: ctx?.source ?? String(v) } : v,
    ) as { result: unknown }[];
    const wasmText = JSON.stringify(wasmSet[0]?.result ?? {}).replace(/\{"\$raw":"([^"]*)"\}/g, '$1');
    const got = members(wasmText);

    return cases.map((c, i) => {
      const o = oracle.get(`r${i}`);
      const w = got.get(`r${i}`);
      return { case: c, opa: o === undefined ? UNDEFINED : canonical(o), wasm: w === undefined ? UNDEFINED : canonical(w) };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The JSON text of `"value": …` in opa eval's output (the document), found by bracket matching. */
function extractValue(text: string, at: number): string {
  if (at < 0) throw new Error(`opa eval gave no value: ${text.slice(0, 500)}`);
  let i = at + '"value":'.length;
  while (/\s/.test(text[i]!)) i++;
  let depth = 0;
  let inString = false;
  for (let j = i; j < text.length; j++) {
    const ch = text[j]!;
    if (inString) {
      if (ch === '\\') j++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return text.slice(i, j + 1);
    }
  }
  throw new Error('unterminated value in opa eval output');
}

/** A Rego literal for a JSON value (Rego's literal syntax is a superset of JSON). */
export const lit = (v: unknown): string => (stringifyExact(v) ?? 'null').replace(/\uFEFF/g, '\\ufeff');
/** A value whose type the Rego type checker cannot see, to pass wrongly typed arguments. */
export const opaque = (v: unknown): string => `json.unmarshal(${JSON.stringify(stringifyExact(v) ?? 'null')})`;
