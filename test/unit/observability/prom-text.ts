/** A small parser for the Prometheus text exposition format (0.0.4), for tests. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` per metric family. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparseable sample line: ${line}`);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2]) : {}, value: parseValue(m[3]!) });
  }
  return { samples, types };
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** `a="x",b="y\"z"` with the format's escapes (\\, \", \n). */
function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels: ${s}`);
    const name = s.slice(i, eq).trim();
    if (s[eq + 1] !== '"') throw new Error(`bad labels: ${s}`);
    let j = eq + 2;
    let value = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        value += n === 'n' ? '\n' : n;
      } else value += s[j];
    }
    out[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return out;
}

/** The value of the one sample with this name and exactly these labels (0 when absent). */
export function sampleValue(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  const hit = e.samples.filter((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v));
  if (hit.length > 1) throw new Error(`ambiguous: ${name} ${JSON.stringify(labels)}`);
  return hit[0]?.value ?? 0;
}

export function samplesOf(e: Exposition, name: string): Sample[] {
  return e.samples.filter((s) => s.name === name);
}
