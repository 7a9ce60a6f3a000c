// A short seeded slice of the fuzzer (`npm run fuzz`, bench/fuzz.mjs): the same mutators and the same
// independent oracle, 20,000 bodies straight into the check pipeline and 2,000 over gRPC to a real server. The
// full run (1,000,000) is a bench: bench/README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/tools.js';

function fuzz(args: string[]): Record<string, number> & { findings: unknown[] } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bench/fuzz.mjs'), '--seed', '20261128', '--json', ...args], {
    encoding: 'utf8',
    timeout: 170_000,
  });
  expect(r.stdout, r.stderr).toMatch(/^\{/);
  return JSON.parse(r.stdout) as Record<string, number> & { findings: unknown[] };
}

const clean = { decoder_errors: 0, crashes: 0, grpc_errors: 0, bad_status: 0, server_errors: 0, wrong_allows: 0, findings: [] };
const outcome = (s: Record<string, unknown>) => ({
  decoder_errors: s.decoder_errors,
  crashes: s.crashes,
  grpc_errors: s.grpc_errors,
  bad_status: s.bad_status,
  server_errors: s.server_errors,
  wrong_allows: s.wrong_allows,
  findings: s.findings,
});

describe('fuzz slice (seed 20261128)', () => {
  it('20,000 bodies through the check pipeline: no crash, no server error, no wrong allow', () => {
    const s = fuzz(['--count', '20000', '--workers', '2', '--in-process']);
    expect(s.sent).toBe(20000);
    expect(outcome(s)).toEqual(clean);
    expect(s.allowed).toBeGreaterThan(1000);
    expect(s.denied).toBeGreaterThan(1000);
    // Every allow was re-read by the real decoders (express.json(), the SDK's transports, Go, Python).
    expect(s.judged_by_decoders).toBe(s.allowed);
    expect(s.decoder_errors).toBe(0);
  }, 180_000);

  it('2,000 bodies over gRPC to a real server: no crash, no gRPC error, no wrong allow', () => {
    const s = fuzz(['--count', '2000', '--workers', '1']);
    expect(s.sent).toBe(2000);
    expect(outcome(s)).toEqual(clean);
    expect(s.allowed).toBeGreaterThan(100);
  }, 180_000);
});
