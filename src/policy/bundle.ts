import { createHash } from 'node:crypto';
import { Parser, type ReadEntry } from 'tar';
import { AuthzError, STARTUP_ERROR } from '../shared/errors.js';

/** What an `opa build -t wasm` bundle holds, read entirely in memory. */
export interface WasmBundle {
  wasm: Buffer;
  /** data.json files merged by their directory (a/b/data.json → data.a.b). */
  data: Record<string, unknown>;
  manifest: BundleManifest;
  sha256: string;
}

export interface BundleManifest {
  revision?: string;
  roots?: string[];
  wasm?: { entrypoint: string; module: string }[];
  [k: string]: unknown;
}

export interface BundleLimits {
  /** Largest total of uncompressed file sizes accepted (guards against tar/gzip bombs). */
  maxUncompressedBytes: number;
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = { maxUncompressedBytes: 128 * 1024 * 1024 };

/** Read the files of a (gzipped) tarball into memory, with a size bound. */
export async function readTarball(bytes: Buffer, limits: BundleLimits = DEFAULT_BUNDLE_LIMITS): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        if (entry.type !== 'File' && entry.type !== 'OldFile') {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > limits.maxUncompressedBytes) {
            parser.abort(new Error(`bundle exceeds ${limits.maxUncompressedBytes} bytes uncompressed`));
            return;
          }
          chunks.push(chunk);
        });
        entry.on('end', () => files.set(normalise(entry.path), Buffer.concat(chunks)));
      },
    });
    parser.on('error', reject);
    parser.on('abort', reject);
    parser.on('end', () => resolve());
    parser.end(bytes);
  });
  return files;
}

const normalise = (p: string): string => p.replace(/^\.?\/+/, '');

/** Parse an `opa build -t wasm` bundle. Every problem is an AuthzError naming the bundle. */
export async function readWasmBundle(bytes: Buffer, entrypoint: string, source: string): Promise<WasmBundle> {
  let files: Map<string, Buffer>;
  try {
    files = await readTarball(bytes);
  } catch (err) {
    throw new AuthzError(STARTUP_ERROR.bundle_unreadable, `${source}: not a readable bundle tarball: ${(err as Error).message}`);
  }
  let manifest: BundleManifest = {};
  const manifestBytes = files.get('.manifest');
  if (manifestBytes) {
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.bundle_invalid, `${source}: .manifest is not valid JSON: ${(err as Error).message}`);
    }
  }
  const modulePath = manifest.wasm?.find((w) => w.entrypoint === entrypoint)?.module ?? manifest.wasm?.[0]?.module ?? 'policy.wasm';
  const wasm = files.get(normalise(modulePath));
  if (!wasm) {
    throw new AuthzError(
      STARTUP_ERROR.bundle_invalid,
      `${source}: no WebAssembly module (${modulePath}); build it with \`opa build -t wasm -e ${entrypoint}\``,
    );
  }
  const data: Record<string, unknown> = {};
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (path !== 'data.json' && !path.endsWith('/data.json')) continue;
    let value: unknown;
    try {
      value = JSON.parse(content.toString('utf8'));
    } catch (err) {
      throw new AuthzError(STARTUP_ERROR.bundle_invalid, `${source}: ${path} is not valid JSON: ${(err as Error).message}`);
    }
    const dirs = path.split('/').slice(0, -1);
    mergeAt(data, dirs, value, `${source}:${path}`);
  }
  return { wasm, data, manifest, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Merge `value` into `target` at `path`. Objects merge key by key; any other collision is an error
 * (as OPA reports conflicting data), never a silent overwrite.
 */
export function mergeAt(target: Record<string, unknown>, path: string[], value: unknown, origin: string): void {
  let node = target;
  for (const key of path) {
    const next = node[key];
    if (next === undefined) node = node[key] = {};
    else if (isPlainObject(next)) node = next;
    else throw new AuthzError(STARTUP_ERROR.data_conflict, `${origin}: data at ${path.join('.')} conflicts with existing data`);
  }
  if (!isPlainObject(value)) {
    if (path.length === 0) throw new AuthzError(STARTUP_ERROR.data_invalid, `${origin}: root data must be an object`);
    throw new AuthzError(STARTUP_ERROR.data_conflict, `${origin}: data at ${path.join('.')} must be an object`);
  }
  mergeObjects(node, value, path, origin);
}

function mergeObjects(target: Record<string, unknown>, source: Record<string, unknown>, path: string[], origin: string): void {
  for (const [key, v] of Object.entries(source)) {
    const existing = target[key];
    if (existing === undefined) target[key] = v;
    else if (isPlainObject(existing) && isPlainObject(v)) mergeObjects(existing, v, [...path, key], origin);
    else throw new AuthzError(STARTUP_ERROR.data_conflict, `${origin}: data.${[...path, key].join('.')} is defined twice`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
