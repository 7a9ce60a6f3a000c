/**
 * A bounded walk over a JSON value (a tool call's `arguments`) that visits every string with its argument path.
 *
 * Path format — a JavaScript/Rego-style reference relative to `arguments`:
 *   - an object member whose key is identifier-like (`[A-Za-z_][A-Za-z0-9_]*`) is `.key` (no dot at the start):
 *     `url`, `options.target`;
 *   - any other key is bracket-quoted with JSON string escaping: `headers["x-y.z"]`, `["a b"]`, `["ü"]`, `[""]`;
 *   - an array element is `[index]`: `items[0].href`, `[2]`;
 *   - the arguments value itself (when it is a bare string) has the empty path ``.
 * So `input.mcp.arguments.` + path (or `input.mcp.arguments` + path when it starts with `[`) is the value in Rego.
 * Object keys are part of paths verbatim.
 *
 * The walk is iterative (no recursion) and bounded: `maxDepth` nesting levels, `maxStrings` strings visited and
 * `maxNodes` values visited in all. When a bound stops it, `truncated` is true — some strings were not inspected,
 * and a policy should treat the call as unsafe.
 */

export interface WalkLimits {
  /** Deepest container nesting visited: a string inside `maxDepth` nested objects/arrays is still visited. */
  maxDepth: number;
  /** Most strings visited (object keys count when `keys` is set). */
  maxStrings: number;
  /** Most values (of any type, containers included) visited. */
  maxNodes: number;
}

export const DEFAULT_WALK_LIMITS: Readonly<WalkLimits> = Object.freeze({ maxDepth: 64, maxStrings: 10_000, maxNodes: 100_000 });

export interface WalkOptions extends Partial<WalkLimits> {
  /** Also visit object keys (kind `key`; the path is the member's path). Default false. */
  keys?: boolean;
  /** Also visit finite numbers (kind `number`). Default false. */
  numbers?: boolean;
  /** The path of `value` itself (default `''`): values inside get paths relative to it. */
  basePath?: string;
}

export type VisitKind = 'string' | 'key' | 'number';

/** Called with the value's path, the value, and what it is. `value` is a number only for kind `number`. */
export type StringVisitor = (path: string, value: string | number, kind: VisitKind) => void;

export interface WalkResult {
  /** A bound was hit: some values were not visited. */
  truncated: boolean;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Append an object key or array index to an argument path (see the format above). */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENT.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Resolve limits: the defaults overridden by any given (non-negative integer) values. */
export function walkLimits(opts: Partial<WalkLimits> = {}): WalkLimits {
  const pick = (v: number | undefined, d: number): number => (v !== undefined && Number.isInteger(v) && v >= 0 ? v : d);
  return {
    maxDepth: pick(opts.maxDepth, DEFAULT_WALK_LIMITS.maxDepth),
    maxStrings: pick(opts.maxStrings, DEFAULT_WALK_LIMITS.maxStrings),
    maxNodes: pick(opts.maxNodes, DEFAULT_WALK_LIMITS.maxNodes),
  };
}

/**
 * Visit every string (and optionally key and number) in `value`, in document order, within the bounds.
 * Never throws on JSON input; a visitor that throws aborts the walk (the caller's error).
 */
export function walkStrings(value: unknown, visit: StringVisitor, opts: WalkOptions = {}): WalkResult {
  const { maxDepth, maxStrings, maxNodes } = walkLimits(opts);
  const keys = opts.keys === true;
  const numbers = opts.numbers === true;
  // Parallel stacks (value, path, depth) avoid a tuple allocation per node.
  const values: unknown[] = [value];
  const paths: string[] = [opts.basePath ?? ''];
  const depths: number[] = [0];
  let strings = 0;
  let nodes = 0;
  while (values.length > 0) {
    const node = values.pop();
    const path = paths.pop()!;
    const depth = depths.pop()!;
    if (++nodes > maxNodes) return { truncated: true };
    if (typeof node === 'string') {
      if (++strings > maxStrings) return { truncated: true };
      visit(path, node, 'string');
    } else if (typeof node === 'number') {
      if (numbers && Number.isFinite(node)) visit(path, node, 'number');
    } else if (node !== null && typeof node === 'object') {
      if (depth >= maxDepth) return { truncated: true };
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i--) {
          values.push(node[i]);
          paths.push(`${path}[${i}]`);
          depths.push(depth + 1);
        }
      } else {
        const names = Object.keys(node);
        const childPaths = names.map((k) => joinPath(path, k));
        if (keys) {
          for (let i = 0; i < names.length; i++) {
            if (++strings > maxStrings) return { truncated: true };
            visit(childPaths[i]!, names[i]!, 'key');
          }
        }
        for (let i = names.length - 1; i >= 0; i--) {
          values.push((node as Record<string, unknown>)[names[i]!]);
          paths.push(childPaths[i]!);
          depths.push(depth + 1);
        }
      }
    }
  }
  return { truncated: false };
}
