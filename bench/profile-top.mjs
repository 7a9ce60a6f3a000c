// Print the top self-time functions of a .cpuprofile (from `node --cpu-prof`).
// Usage: node bench/profile-top.mjs <file.cpuprofile | dir> [count]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

let file = process.argv[2];
if (statSync(file).isDirectory())
  file = join(
    file,
    readdirSync(file)
      .filter((n) => n.endsWith('.cpuprofile'))
      .sort()
      .pop(),
  );
const count = Number(process.argv[3] ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
let total = 0;
p.samples.forEach((id, i) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const key = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]);
  total += p.timeDeltas[i];
});
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
