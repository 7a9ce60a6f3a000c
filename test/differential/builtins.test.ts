import { describe, expect, it } from 'vitest';
import { CASES } from './cases.js';
import { NATIVE_CASES } from './native-cases.js';
import { differential, type Outcome } from './harness.js';

describe('builtins: mcp-authz answers as `opa eval` (the pinned opa is the oracle)', () => {
  it(`${CASES.length} hand-written expressions agree`, async () => {
    const outcomes = await differential(CASES);
    const bad = outcomes.filter((o: Outcome) => o.opa !== o.wasm);
    const byBuiltin = new Map<string, number>();
    for (const o of outcomes) byBuiltin.set(o.case.builtin, (byBuiltin.get(o.case.builtin) ?? 0) + 1);
    console.log(`differential: ${outcomes.length - bad.length}/${outcomes.length} agree over ${byBuiltin.size} builtins`);
    expect(bad.map((o) => `${o.case.expr.slice(0, 120)}\n    opa:  ${o.opa.slice(0, 300)}\n    ours: ${o.wasm.slice(0, 300)}`)).toEqual([]);
  }, 120_000);

  it(`${NATIVE_CASES.length} expressions over builtins inside the WASM module (redirected where OPA's C differs) agree`, async () => {
    const outcomes = await differential(NATIVE_CASES, 'natives');
    const bad = outcomes.filter((o: Outcome) => o.opa !== o.wasm);
    console.log(`natives: ${outcomes.length - bad.length}/${outcomes.length} agree`);
    expect(bad.map((o) => `${o.case.expr.slice(0, 120)}\n    opa:  ${o.opa.slice(0, 300)}\n    ours: ${o.wasm.slice(0, 300)}`)).toEqual([]);
  }, 120_000);
});
