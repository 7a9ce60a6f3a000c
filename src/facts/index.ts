/**
 * Input facts computed from a tool call's arguments, so Rego policies never re-implement parsing:
 * `input.mcp.urls` (url-facts.ts), `input.mcp.findings` (pii.ts) and `input.mcp.facts_truncated`.
 */
import { type Finding, findingsCollector } from './pii.js';
import { type DocumentFact, type DocumentFormat, parseDocument } from './documents.js';
import { type UrlFact, urlFacts } from './url-facts.js';
import { type WalkLimits, walkStrings } from './walk-strings.js';

export { parseDocument, type DocumentFact, type DocumentFormat } from './documents.js';

export { detectInString, type Finding, type FindingType } from './pii.js';
export { looksLikeUrl, urlFact, urlFacts, type AmbiguityCode, type UrlFact } from './url-facts.js';
export { classifyIp, type IpClass, type IpFacts } from './ip-class.js';
export { DEFAULT_WALK_LIMITS, joinPath, walkStrings, type WalkLimits, type WalkOptions } from './walk-strings.js';
export { isCardNumber, luhn } from './luhn.js';

export interface ArgumentFacts {
  urls: UrlFact[];
  findings: Finding[];
  /** Documents (JSON or form strings) found in string values, parsed or marked unparseable. */
  documents: DocumentFact[];
  /** A walk bound was hit: some strings were not inspected (policies should deny). */
  truncated: boolean;
}

/** Documents inside documents are read this many levels deep; deeper ones make the facts truncated. */
export const MAX_DOCUMENT_NESTING = 3;
/** Most documents read per walk; more make the facts truncated. */
export const MAX_DOCUMENTS = 64;

export interface FactOptions extends Partial<WalkLimits> {
  /** The path of `args` itself (default `''`). */
  basePath?: string;
  /** The declared document format of the string at a path (document-declarations.ts); default: none is declared. */
  declared?: (path: string) => DocumentFormat | undefined;
}

/**
 * One walk over a value (tool-call arguments, or other params) computing URL facts (string values, wrapped URLs
 * included), findings (string values, object keys, numbers) and documents (JSON and form strings, walked in turn
 * with paths `<path>{json}…` / `<path>{form}…`). Pure; never throws on JSON input.
 */
export function computeArgumentFacts(args: unknown, opts: FactOptions = {}): ArgumentFacts {
  const facts: ArgumentFacts = { urls: [], findings: [], documents: [], truncated: false };
  walkInto(args, opts.basePath ?? '', 0, facts, opts, opts.declared);
  return facts;
}

function walkInto(
  value: unknown,
  basePath: string,
  nesting: number,
  facts: ArgumentFacts,
  limits: Partial<WalkLimits>,
  declared: FactOptions['declared'],
): void {
  const collect = findingsCollector(facts.findings);
  const inner: DocumentFact[] = [];
  const { truncated } = walkStrings(
    value,
    (path, v, kind) => {
      if (kind === 'string') {
        const urls = urlFacts(v as string, path);
        for (const u of urls) facts.urls.push(u);
        const format = declared?.(path);
        const doc = urls.length > 0 && !format ? undefined : parseDocument(v as string, path, format);
        if (doc) {
          if (facts.documents.length >= MAX_DOCUMENTS || nesting >= MAX_DOCUMENT_NESTING) facts.truncated = true;
          else {
            facts.documents.push(doc);
            inner.push(doc);
          }
        }
      }
      collect(path, v, kind);
    },
    { ...limits, keys: true, numbers: true, basePath },
  );
  if (truncated) facts.truncated = true;
  for (const doc of inner) {
    if (doc.value !== undefined) walkInto(doc.value, `${doc.path}{${doc.format}}`, nesting + 1, facts, limits, undefined);
  }
}
