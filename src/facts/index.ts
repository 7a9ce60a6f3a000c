import { type Finding, detectInString } from './pii.js';
import { type UrlFact, urlFact } from './url-facts.js';
import { DEFAULT_WALK_LIMITS, type WalkLimits, walkStrings } from './walk.js';

export type { Finding } from './pii.js';
export type { UrlFact } from './url-facts.js';

export interface ArgumentFacts {
  urls: UrlFact[];
  findings: Finding[];
  /** A walk bound was hit: some strings were not inspected. */
  truncated: boolean;
}

/** One walk over tool-call arguments computing URL facts and PII/secret findings. Pure; never throws. */
export function computeArgumentFacts(args: unknown, limits: WalkLimits = DEFAULT_WALK_LIMITS): ArgumentFacts {
  const urls: UrlFact[] = [];
  const findings: Finding[] = [];
  const truncated = walkStrings(
    args,
    (path, s) => {
      const u = urlFact(s, path);
      if (u) urls.push(u);
      for (const type of detectInString(s)) findings.push({ type, path });
    },
    limits,
  );
  return { urls, findings, truncated };
}
