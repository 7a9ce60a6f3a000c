export interface WalkLimits {
  /** Deepest nesting visited. */
  maxDepth: number;
  /** Most strings visited. */
  maxStrings: number;
}

export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDepth: 64, maxStrings: 10_000 };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Append a key to an argument path: `a.b`, `a[0]`, `a["x.y"]`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENT.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

/**
 * Visit every string in a JSON value (values, not keys) with its path, iteratively (no recursion), within bounds.
 * Returns true when a bound was hit: some strings were not visited, and policies should treat that as unsafe.
 */
export function walkStrings(value: unknown, visit: (path: string, s: string) => void, limits: WalkLimits = DEFAULT_WALK_LIMITS): boolean {
  const stack: [unknown, string, number][] = [[value, '', 0]];
  let strings = 0;
  let truncated = false;
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node === 'string') {
      if (++strings > limits.maxStrings) return true;
      visit(path, node);
    } else if (node !== null && typeof node === 'object') {
      if (depth >= limits.maxDepth) {
        truncated = true;
        continue;
      }
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], joinPath(path, i), depth + 1]);
      } else {
        const keys = Object.keys(node);
        for (let i = keys.length - 1; i >= 0; i--) stack.push([(node as Record<string, unknown>)[keys[i]!], joinPath(path, keys[i]!), depth + 1]);
      }
    }
  }
  return truncated;
}
