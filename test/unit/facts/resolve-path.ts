/**
 * Test helper: resolve an argument path (format documented in src/facts/walk-strings.ts) against a JSON value.
 * Written independently of joinPath, and strict: the whole path must parse.
 */
const TOKEN = /(?:^([A-Za-z_][A-Za-z0-9_]*)|\.([A-Za-z_][A-Za-z0-9_]*)|\[(0|[1-9]\d*)\]|\[("(?:[^"\\]|\\.)*")\])/y;

export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < path.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(path);
    if (!m) throw new Error(`bad path ${JSON.stringify(path)} at ${at}`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2]);
    else if (m[3] !== undefined) out.push(Number(m[3]));
    else out.push(JSON.parse(m[4]!) as string);
  }
  return out;
}

export function resolvePath(root: unknown, path: string): unknown {
  let node = root;
  for (const k of parsePath(path)) {
    if (typeof k === 'number') {
      if (!Array.isArray(node)) throw new Error(`index ${k} into a non-array at ${path}`);
      node = node[k];
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, k)) {
        throw new Error(`no member ${JSON.stringify(k)} at ${path}`);
      }
      node = (node as Record<string, unknown>)[k];
    }
  }
  return node;
}
