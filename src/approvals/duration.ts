const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * A duration as Go and Kubernetes write them (`90s`, `15m`, `1h30m`, `2d`), or a bare number of seconds.
 * Returns whole seconds, or undefined when the text is not a positive duration.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.round(text) : undefined;
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return parseDuration(Number(s));
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let seconds = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) seconds += Number(m[1]) * UNITS[m[2]!]!;
  const rounded = Math.round(seconds);
  return rounded > 0 ? rounded : undefined;
}
