import type { DocumentFormat } from './documents.js';

/**
 * Which string arguments are documents, as the guardrails pack's data declares them
 * (`data.mcp_authz.documents.arguments: [{argument, format?, tools?}]`); without that key, every tool's `body`
 * argument is a document read as `auto` (JSON or form). `argument` is a top-level argument name or a dotted path
 * (`request.body`), matched case-insensitively as arg() reads it; `tools` (bare names; a gateway-prefixed name
 * `server__tool` or `server_tool` matches its bare tool) limits it to some tools.
 */
export interface DocumentDeclaration {
  argument: string;
  format: DocumentFormat;
  tools?: readonly string[];
}

export const DEFAULT_DECLARATIONS: readonly DocumentDeclaration[] = Object.freeze([{ argument: 'body', format: 'auto' }]);

const fold = (s: string): string => s.toUpperCase().toLowerCase();

/** The declarations of a policy's data document (its JSON text), read once per data text. Never throws. */
export function declarationsOf(dataJson: string | undefined): readonly DocumentDeclaration[] {
  if (dataJson === undefined) return DEFAULT_DECLARATIONS;
  let d = cache.get(dataJson);
  if (!d) {
    d = readDeclarations(dataJson);
    if (cache.size >= 16) cache.clear();
    cache.set(dataJson, d);
  }
  return d;
}
const cache = new Map<string, readonly DocumentDeclaration[]>();

function readDeclarations(dataJson: string): readonly DocumentDeclaration[] {
  let list: unknown;
  try {
    list = (JSON.parse(dataJson) as { mcp_authz?: { documents?: { arguments?: unknown } } })?.mcp_authz?.documents?.arguments;
  } catch {
    return DEFAULT_DECLARATIONS;
  }
  if (!Array.isArray(list)) return DEFAULT_DECLARATIONS;
  const out: DocumentDeclaration[] = [];
  for (const e of list as { argument?: unknown; format?: unknown; tools?: unknown }[]) {
    if (typeof e?.argument !== 'string') continue;
    const format = e.format === 'json' || e.format === 'form' ? e.format : 'auto';
    const tools = Array.isArray(e.tools) ? e.tools.filter((t): t is string => typeof t === 'string') : undefined;
    out.push(tools ? { argument: e.argument, format, tools } : { argument: e.argument, format });
  }
  return out;
}

/**
 * The declared format of the string at an argument path of a call to `tool`, or undefined. Paths are those of
 * walk-strings.ts (`body`, `request.body`, `["x-y"]`); a declaration's dotted argument matches a path of
 * identifier-like members, folded.
 */
export function declaredFormat(declarations: readonly DocumentDeclaration[], tool: string | undefined, path: string): DocumentFormat | undefined {
  for (const d of declarations) {
    if (fold(d.argument) !== fold(path)) continue;
    if (d.tools && !(tool !== undefined && d.tools.some((t) => tool === t || tool.endsWith(`_${t}`)))) continue;
    return d.format;
  }
  return undefined;
}
