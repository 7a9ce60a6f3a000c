/**
 * A claim by name: the top-level claim of exactly that name if there is one (claim names may contain dots, e.g.
 * `https://example.com/roles`), else a dotted path into nested objects (`realm_access.roles`). Own properties
 * only, so `__proto__` or `constructor` never reach the prototype.
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  if (!name.includes('.')) return undefined;
  let node: unknown = claims;
  for (const key of name.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Roles and scopes: a space-separated string (OAuth `scope`) or an array of strings (`scp`, `roles`). */
export function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return [];
}
