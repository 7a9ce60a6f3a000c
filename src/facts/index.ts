/**
 * Input facts computed from a tool call's arguments, so Rego policies never re-implement parsing:
 * `input.mcp.urls` (url-facts.ts), `input.mcp.findings` (pii.ts) and `input.mcp.facts_truncated`.
 */
import { type Finding, findingsCollector } from './pii.js';
import { type UrlFact, urlFact } from './url-facts.js';
import { type WalkLimits, walkStrings } from './walk-strings.js';

export { detectFindings, detectInString, type Finding, type FindingType, type FindingsResult } from './pii.js';
export { extractUrlFacts, looksLikeUrl, urlFact, type AmbiguityCode, type UrlFact, type UrlFactsResult } from './url-facts.js';
export { classifyIp, type IpClass, type IpFacts } from './ip-class.js';
export { DEFAULT_WALK_LIMITS, joinPath, walkStrings, type WalkLimits, type WalkOptions } from './walk-strings.js';
export { isCardNumber, luhn } from './luhn.js';

export interface ArgumentFacts {
  urls: UrlFact[];
  findings: Finding[];
  /** A walk bound was hit: some strings were not inspected (policies should deny). */
  truncated: boolean;
}

/**
 * One walk over tool-call arguments computing both URL facts (string values) and findings (string values, object
 * keys, numbers). Pure; never throws on JSON input.
 */
export function computeArgumentFacts(args: unknown, limits: Partial<WalkLimits> = {}): ArgumentFacts {
  const urls: UrlFact[] = [];
  const findings: Finding[] = [];
  const collect = findingsCollector(findings);
  const { truncated } = walkStrings(
    args,
    (path, value, kind) => {
      if (kind === 'string') {
        const u = urlFact(value as string, path);
        if (u) urls.push(u);
      }
      collect(path, value, kind);
    },
    { maxDepth: limits.maxDepth, maxStrings: limits.maxStrings, maxNodes: limits.maxNodes, keys: true, numbers: true },
  );
  return { urls, findings, truncated };
}
