/**
 * The little of the WebAssembly binary format that the module patches (wasm-natives.ts, fuel-meter.ts) read and
 * write: LEB128 integers, names and the section list.
 */

export interface Section {
  id: number;
  /** Offset of the section id byte. */
  header: number;
  /** Payload start. */
  start: number;
  /** Payload end. */
  end: number;
}

export class Reader {
  constructor(
    readonly b: Uint8Array,
    public p = 0,
  ) {}
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.p >= this.b.length) throw new Error('unexpected end of the module');
      const byte = this.b[this.p++]!;
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
    }
  }
  /** A signed LEB128 integer of at most 32 bits (an `i32.const` immediate). */
  s32(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      if (this.p >= this.b.length) throw new Error('unexpected end of the module');
      byte = this.b[this.p++]!;
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    if (shift < 32 && byte & 0x40) result |= ~0 << shift;
    return result;
  }
  /** Step over one LEB128 integer of any size or sign. */
  skipLeb(): void {
    while (this.p < this.b.length && (this.b[this.p++]! & 0x80) !== 0);
  }
  bytes(n: number): Uint8Array {
    const out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  }
  name(): string {
    return new TextDecoder().decode(this.bytes(this.u32()));
  }
}

export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};

export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};

export function sections(b: Uint8Array): Section[] {
  const r = new Reader(b, 8);
  const out: Section[] = [];
  while (r.p < b.length) {
    const header = r.p;
    const id = b[r.p++]!;
    const size = r.u32();
    out.push({ id, header, start: r.p, end: r.p + size });
    r.p += size;
  }
  return out;
}

/** The module with the byte range [from, to) replaced by `parts`. */
export function splice(wasm: Uint8Array, from: number, to: number, parts: readonly Uint8Array[]): Uint8Array {
  const size = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(from + size + wasm.length - to);
  out.set(wasm.subarray(0, from), 0);
  let o = from;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out.set(wasm.subarray(to), o);
  return out;
}

/** A function type of the type section: its parameter and result value types (0x7f is i32). */
export interface FuncType {
  params: number[];
  results: number[];
}

/** The type section's function types, by type index; undefined when an entry is not a function type. */
export function funcTypes(wasm: Uint8Array, typeSec: Section): FuncType[] | undefined {
  const r = new Reader(wasm, typeSec.start);
  const n = r.u32();
  const out: FuncType[] = [];
  for (let i = 0; i < n; i++) {
    if (wasm[r.p++] !== 0x60) return undefined;
    const params = [...r.bytes(r.u32())];
    const results = [...r.bytes(r.u32())];
    out.push({ params, results });
  }
  return out;
}

/** One entry of the import section; `type` is a function's type index, `minPages` a memory's minimum. */
export interface Import {
  module: string;
  field: string;
  kind: 'func' | 'table' | 'memory' | 'global';
  type?: number;
  minPages?: number;
}

/** The import section's entries, in order (function indices count imported functions first). */
export function imports(wasm: Uint8Array, importSec: Section): Import[] {
  const r = new Reader(wasm, importSec.start);
  const n = r.u32();
  const out: Import[] = [];
  for (let i = 0; i < n; i++) {
    const module = r.name();
    const field = r.name();
    const kind = wasm[r.p++]!;
    if (kind === 0) out.push({ module, field, kind: 'func', type: r.u32() });
    else if (kind === 1) {
      r.p++; // element type
      const flags = r.u32();
      r.u32();
      if (flags & 1) r.u32();
      out.push({ module, field, kind: 'table' });
    } else if (kind === 2) {
      const flags = r.u32();
      const minPages = r.u32();
      if (flags & 1) r.u32();
      out.push({ module, field, kind: 'memory', minPages });
    } else if (kind === 3) {
      r.p += 2; // value type, mutability
      out.push({ module, field, kind: 'global' });
    } else throw new Error(`import kind ${kind}`);
  }
  return out;
}

/**
 * One segment of the data section: `offset` is where an active segment of memory 0 starts when its offset is an
 * `i32.const` (undefined for a passive segment, another memory, or an offset computed otherwise).
 */
export interface DataSegment {
  offset: number | undefined;
  bytes: Uint8Array;
}

/** The data section's segments, in order. */
export function dataSegments(wasm: Uint8Array, dataSec: Section): DataSegment[] {
  const r = new Reader(wasm, dataSec.start);
  const n = r.u32();
  const out: DataSegment[] = [];
  for (let i = 0; i < n; i++) {
    const flags = r.u32();
    let offset: number | undefined;
    if (flags === 0 || flags === 2) {
      const memory = flags === 2 ? r.u32() : 0;
      if (wasm[r.p] === 0x41) {
        r.p++;
        const at = r.s32();
        if (wasm[r.p] === 0x0b && memory === 0) offset = at;
      }
      while (wasm[r.p] !== 0x0b) r.p++; // the rest of the offset expression
      r.p++;
    }
    out.push({ offset, bytes: r.bytes(r.u32()) });
  }
  return out;
}

/** The `name` custom section, if the module has one. */
export const nameSection = (wasm: Uint8Array, secs: readonly Section[]): Section | undefined =>
  secs.find((s) => s.id === 0 && new Reader(wasm, s.start).name() === 'name');

/** Function names of the name section (subsection 1), by function index. */
export function functionNames(wasm: Uint8Array, nameSec: Section): Map<number, string> {
  const names = new Map<number, string>();
  const r = new Reader(wasm, nameSec.start);
  r.name();
  while (r.p < nameSec.end) {
    const sub = wasm[r.p++]!;
    const size = r.u32();
    const end = r.p + size;
    if (sub === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const idx = r.u32();
        names.set(idx, r.name());
      }
    }
    r.p = end;
  }
  return names;
}
