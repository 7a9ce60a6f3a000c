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

/**
 * Roles as the IdP means them: an array of strings is that list; a single string is one role (`"billing admin"` is
 * the role "billing admin", never the two roles billing and admin). Empty strings and other types count as none.
 */
export function roleList(v: unknown): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
  return [];
}

/**
 * OAuth scopes (only for the configured scope claims): a string is split on spaces, U+0020 alone, as RFC 6749
 * §3.3 writes a scope list (`scope = scope-token *( SP scope-token )`); an array (`scp`) is that list.
 */
export function scopeList(v: unknown): string[] {
  if (typeof v === 'string') return v.split(' ').filter(Boolean);
  return roleList(v);
}
