// The fuzzer's out-of-process decoders (bench/fuzz.mjs, docs/input.md "Testing"): the Go program
// test/differential/go/main.go (encoding/json, url.ParseQuery), built with the machine's Go and cached under
// build/ by the hash of its source, and the Python script test/differential/python/decode.py (json,
// urllib.parse, str.strip). Each runs as one long-lived process that reads length-prefixed frames on stdin and
// answers one JSON line per frame, in order, so the fuzzer pays process start-up once.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const GO_SOURCE = join(root, 'test/differential/go/main.go');
const PY_SOURCE = join(root, 'test/differential/python/decode.py');

/** The Go decoder's binary, built when its source changed: build/fuzz-decoders/go-<sha256 of main.go>. */
export function goDecoderBinary() {
  const hash = createHash('sha256').update(readFileSync(GO_SOURCE)).digest('hex').slice(0, 16);
  const dir = join(root, 'build/fuzz-decoders');
  const bin = join(dir, `go-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync('go', ['build', '-trimpath', '-o', tmp, GO_SOURCE], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '' },
  });
  if (r.status !== 0) throw new Error(`go build ${GO_SOURCE} failed (is Go on PATH?): ${r.error?.message ?? r.stderr}`);
  renameSync(tmp, bin);
  return bin;
}

/** One long-lived decoder process: `read(kind, bytes)` resolves with its JSON answer for that frame. */
function framed(command, args, name) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const waiting = [];
  let stderr = '';
  let failure;
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const fail = (why) => {
    failure ??= new Error(`${name} decoder: ${why}${stderr ? `: ${stderr}` : ''}`);
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  child.on('error', (e) => fail(e.message));
  child.on('exit', (code, signal) => {
    if (waiting.length > 0 || code !== 0) fail(`exited (${code ?? signal})`);
  });
  child.stdin.on('error', (e) => fail(e.message));
  createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    const w = waiting.shift();
    if (!w) return fail('answered a frame it was not sent');
    try {
      w.resolve(JSON.parse(line));
    } catch (e) {
      w.reject(new Error(`${name} decoder: unreadable answer ${line.slice(0, 200)}: ${e.message}`));
    }
  });
  return {
    read(kind, bytes) {
      if (failure) return Promise.reject(failure);
      const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
      const head = Buffer.alloc(5);
      head[0] = kind === 'document' ? 0x64 : 0x6d;
      head.writeUInt32BE(buf.length, 1);
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(Buffer.concat([head, buf]));
      });
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      });
    },
  };
}

/** Start the Go and Python decoders. `go.read('message' | 'document', bytes)`, likewise `python`. */
export function startDecoders() {
  const go = framed(goDecoderBinary(), [], 'Go');
  const python = framed(process.env.PYTHON ?? 'python3', ['-X', 'utf8', PY_SOURCE], 'Python');
  return { go, python, close: () => Promise.all([go.close(), python.close()]) };
}
