import type { DocumentFormat } from './documents.js';

/**
 * Which string arguments are documents, as the guardrails pack's data declares them (docs/input.md, "Documents
 * inside arguments"). Two places declare one:
 * - `data.mcp_authz.documents.arguments: [{argument, format?, tools?}]`, explicitly;
 * - an argument rule that reaches through a member (`tool_policies[].rules[]` with `argument: body.amount`): the
 *   rule says `body` carries a document for the tool policy's tools, read as `auto` (JSON or form).
 * Nothing else is declared: without data no argument is (a GitHub issue's Markdown `body` is text).
 * `argument` is a top-level argument name or a dotted path (`request.body`), matched case-insensitively as arg()
 * reads it; `tools` (bare names; a gateway-prefixed name `server__tool` or `server_tool` matches its bare tool)
 * limits it to some tools, absent means every tool.
 */
export interface DocumentDeclaration {
  argument: string;
  format: DocumentFormat;
  tools?: readonly string[];
}

const NONE: readonly DocumentDeclaration[] = Object.freeze([]);

const fold = (s: string): string => s.toUpperCase().toLowerCase();

/** What declarations are read from: a policy artifact and its data document's JSON text. */
type WithData = { dataJson?: string };

/** The declarations of a policy's data document, read once per policy artifact. Never throws. */
export function declarationsOf(artifact: WithData | undefined): readonly DocumentDeclaration[] {
  if (artifact?.dataJson === undefined) return NONE;
  let d = read.get(artifact);
  if (!d) {
    d = readDeclarations(artifact.dataJson);
    read.set(artifact, d);
  }
  return d;
}
const read = new WeakMap<WithData, readonly DocumentDeclaration[]>();

type Rule = Record<string, { argument?: unknown } | unknown>;
interface PackData {
  documents?: { arguments?: unknown };
  tool_policies?: { tools?: unknown; rules?: unknown }[];
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : undefined);

/** Declarations from the data document's JSON text (already validated by the pack's schema at load). */
export function readDeclarations(dataJson: string): readonly DocumentDeclaration[] {
  let pack: PackData | undefined;
  try {
    pack = (JSON.parse(dataJson) as { mcp_authz?: PackData } | null)?.mcp_authz;
  } catch {
    return NONE;
  }
  if (!pack || typeof pack !== 'object') return NONE;
  const out: DocumentDeclaration[] = [];
  const declare = (argument: string, format: DocumentFormat, tools: string[] | undefined): void => {
    out.push(tools ? { argument, format, tools } : { argument, format });
  };
  const explicit = pack.documents?.arguments;
  if (Array.isArray(explicit)) {
    for (const e of explicit as { argument?: unknown; format?: unknown; tools?: unknown }[]) {
      if (typeof e?.argument !== 'string') continue;
      declare(e.argument, e.format === 'json' || e.format === 'form' ? e.format : 'auto', strings(e.tools));
    }
  }
  for (const p of Array.isArray(pack.tool_policies) ? pack.tool_policies : []) {
    const tools = strings(p?.tools);
    for (const r of Array.isArray(p?.rules) ? (p.rules as Rule[]) : []) {
      for (const path of rulePaths(r)) {
        const segs = path.split('.');
        // Every member on the way may be the string that carries the document (body, request.body).
        for (let i = 1; i < segs.length; i++) declare(segs.slice(0, i).join('.'), 'auto', tools);
      }
    }
  }
  return out;
}

/** The argument paths a pack rule reads: `required: path`, or `{max|min|approval_above|one_of|none_of: {argument}}`. */
function rulePaths(r: Rule): string[] {
  if (!r || typeof r !== 'object') return [];
  const out: string[] = [];
  if (typeof r.required === 'string') out.push(r.required);
  for (const k of ['max', 'min', 'approval_above', 'one_of', 'none_of']) {
    const c = r[k] as { argument?: unknown } | undefined;
    if (typeof c?.argument === 'string') out.push(c.argument);
  }
  return out;
}

/**
 * The declared format of the string at an argument path of a call to `tool`, or undefined. Paths are those of
 * walk-strings.ts (`body`, `request.body`, `["x-y"]`); a declaration's dotted argument matches a path of
 * identifier-like members, folded. When several declarations match, an explicit format wins over `auto`.
 */
export function declaredFormat(declarations: readonly DocumentDeclaration[], tool: string | undefined, path: string): DocumentFormat | undefined {
  let found: DocumentFormat | undefined;
  for (const d of declarations) {
    if (fold(d.argument) !== fold(path)) continue;
    if (d.tools && !(tool !== undefined && d.tools.some((t) => tool === t || tool.endsWith(`_${t}`)))) continue;
    if (d.format !== 'auto') return d.format;
    found = 'auto';
  }
  return found;
}
