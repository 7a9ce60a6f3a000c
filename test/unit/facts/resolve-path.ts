/**
 * Test helper: resolve an argument path (format documented in src/facts/walk-strings.ts) against a JSON value.
 * Written independently of joinPath, and strict: the whole path must parse.
 */
const TOKEN = /(?:^([A-Za-z_][A-Za-z0-9_]*)|\.([A-Za-z_][A-Za-z0-9_]*)|\[(0|[1-9]\d*)\]|\[("(?:[^"\\]|\\.)*")\]|\{(json|form)\})/y;

/** A `{json}` / `{form}` step: the string at this point, read as the document it carries. */
const DOC = Symbol('document');
type Step = string | number | { [DOC]: 'json' | 'form' };

export function parsePath(path: string): Step[] {
  const out: Step[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < path.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(path);
    if (!m) throw new Error(`bad path ${JSON.stringify(path)} at ${at}`);
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2]);
    else if (m[3] !== undefined) out.push(Number(m[3]));
    else if (m[4] !== undefined) out.push(JSON.parse(m[4]) as string);
    else out.push({ [DOC]: m[5] as 'json' | 'form' });
  }
  return out;
}

export function resolvePath(root: unknown, path: string): unknown {
  let node = root;
  for (const k of parsePath(path)) {
    if (typeof k === 'object') {
      if (typeof node !== 'string') throw new Error(`a document step on a non-string at ${path}`);
      if (k[DOC] === 'json') node = JSON.parse(node);
      else {
        const form: Record<string, string | string[]> = {};
        for (const [key, v] of new URLSearchParams(node)) {
          const before = form[key];
          form[key] = before === undefined ? v : Array.isArray(before) ? [...before, v] : [before, v];
        }
        node = form;
      }
    } else if (typeof k === 'number') {
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
