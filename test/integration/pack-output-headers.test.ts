import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckPipeline, type CheckPipeline, type CheckOutcome } from '../../src/check/pipeline.js';
import { identityConfigSchema } from '../../src/identity/config.js';
import { createIdentityResolver } from '../../src/identity/resolve.js';
import { loadPolicyFromBundleBytes } from '../../src/policy/load.js';
import { testSettings } from '../helpers/pipeline.js';
import { mcpCheckRequest, toolCall } from '../helpers/requests.js';
import { buildBundleFile } from '../helpers/server.js';

/**
 * The headers the server sends come from the pack (rego/mcp_authz_headers.rego: claim headers;
 * rego/mcp_authz_response.rego: WWW-Authenticate challenges), through decision validation and the response
 * builder. These properties run the real pipeline: a real HS256 token verified by the identity resolver, the pack
 * compiled by `opa build`, evaluated in WASM.
 */
const SECRET = 'a-test-secret-of-at-least-32-characters!';
const ISS = 'https://idp.example.com/';
const AUD = 'mcp-gateway';
const EVIL_TOOLS = ['write"file', 'x", scope="admin", error="none', 'back\\slash', 'crlf\r\nset-cookie: a=1', 'ünicode🏔', 'plain'];
/** What an HTTP/1 or HTTP/2 header value may hold without breaking framing. */
const SAFE_VALUE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;
const MAX = 24;

let tmp: string;
let pipeline: CheckPipeline;

beforeAll(async () => {
  const built = await buildBundleFile();
  tmp = built.tmp;
  const data = join(tmp, 'data.json');
  await writeFile(
    data,
    JSON.stringify({
      mcp_authz: {
        claim_headers: [
          { claim: 'c', header: 'X-Claim-C' },
          { claim: 'team', header: 'X-Authz-Claim-Team' },
        ],
        header_value_max_length: MAX,
        tool_policies: [{ name: 'scoped', tools: EVIL_TOOLS, required_scopes: ['files:write'] }],
      },
    }),
  );
  const policy = await loadPolicyFromBundleBytes(
    await readFile(built.file),
    { dataFiles: [data], entrypoint: 'mcp/authz/decision', maxMemoryPages: 1024 },
    built.file,
  );
  const identity = createIdentityResolver(
    identityConfigSchema.parse({ jwt: { enabled: true, hs_secret: SECRET, algorithms: ['HS256'], issuers: [ISS], audiences: [AUD] } }),
  );
  pipeline = createCheckPipeline({ settings: testSettings(), policy: () => policy, identity });
}, 120_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

async function check(tool: string, claims?: Record<string, unknown>): Promise<CheckOutcome> {
  const headers = claims ? { authorization: `Bearer ${await token(claims)}` } : undefined;
  return pipeline.check(mcpCheckRequest(toolCall(tool, {}), headers ? { headers } : {}) as never);
}

const header = (o: CheckOutcome, name: string) => {
  const list = o.response.ok_response?.headers ?? o.response.denied_response?.headers ?? [];
  return list.find((h) => h.header!.key === name)?.header?.value;
};

/** Parse `Bearer k="v", k2="v2"` per RFC 9110 (auth-param, quoted-string with \-escapes). Throws on bad syntax. */
function parseChallenge(value: string): Record<string, string> {
  const m = /^Bearer(?: (.*))?$/.exec(value);
  if (!m) throw new Error(`not a Bearer challenge: ${value}`);
  const out: Record<string, string> = {};
  let rest = m[1] ?? '';
  while (rest !== '') {
    const p = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)="((?:[^"\\]|\\.)*)"(?:, |$)/.exec(rest);
    if (!p) throw new Error(`bad auth-param at: ${rest}`);
    if (p[1]! in out) throw new Error(`duplicate parameter ${p[1]}`);
    out[p[1]!] = p[2]!.replace(/\\(.)/g, '$1');
    rest = rest.slice(p[0].length);
  }
  return out;
}

const hostile = fc.string({
  unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\\', '\r', '\n', '\t', '\u0000', '\u007f', '\u0085', '\u2028', '\u2029', 'é', '🏔'),
});

describe('claim headers from the live pack', () => {
  it('forward verified claims, sanitised (no header injection)', async () => {
    const o = await check('plain', { team: 'billing\r\nx-admin: true', c: 42, scope: 'files:write' });
    expect(o.decision.allowed).toBe(true);
    expect(header(o, 'x-authz-claim-team')).toBe('billingx-admin: true');
    expect(header(o, 'x-claim-c')).toBe('42');
  });

  it('add nothing for an unverified identity, and strip forged copies of the managed headers', async () => {
    const forged = mcpCheckRequest(toolCall('other_tool', {}), { headers: { 'x-authz-claim-team': 'admins' } }) as never;
    const o = await pipeline.check(forged);
    expect(o.decision.allowed).toBe(true);
    expect(header(o, 'x-authz-claim-team')).toBeUndefined();
    expect(o.response.ok_response!.headers_to_remove).toEqual(expect.arrayContaining(['x-authz-claim-team', 'x-claim-c']));
  });

  it('never emit an unsafe, empty or over-long value, whatever the claim (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(hostile, fc.array(fc.oneof(hostile, fc.integer(), fc.boolean()), { maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null)),
        async (c) => {
          const o = await check('plain', { c, scope: 'files:write' });
          expect(o.response.status!.code).toBe(0);
          const v = header(o, 'x-claim-c');
          if (v === undefined) return;
          expect(v).toMatch(SAFE_VALUE);
          expect(v).not.toBe('');
          expect(Array.from(v).length).toBeLessThanOrEqual(MAX);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('WWW-Authenticate challenges from the live pack', () => {
  it.each(EVIL_TOOLS.filter((t) => SAFE_VALUE.test(t)))('a tool name cannot break out of error_description (%j)', async (tool) => {
    const o = await check(tool, { scope: 'files:read' });
    expect(o.decision).toMatchObject({ allowed: false, httpStatus: 403, rule: 'required_scope' });
    const v = header(o, 'www-authenticate')!;
    expect(v).toMatch(SAFE_VALUE);
    const p = parseChallenge(v);
    expect(Object.keys(p).sort()).toEqual(['error', 'error_description', 'scope']);
    expect(p.error).toBe('insufficient_scope');
    expect(p.scope).toBe('files:write');
  });

  it('a tool name with control characters never reaches a header: the answer is still a denial', async () => {
    // The pack quotes the message but does not strip controls; decision validation refuses the header value, so
    // the check denies with decision_invalid (fail closed) rather than answering with an injected header.
    const o = await check('crlf\r\nset-cookie: a=1', { scope: 'files:read' });
    expect(o.decision.allowed).toBe(false);
    expect(o.response.status!.code).toBe(7);
    for (const h of o.response.denied_response!.headers!) expect(h.header!.value).toMatch(SAFE_VALUE);
  });

  it('no token: 401 invalid_token challenge', async () => {
    const o = await check('plain');
    expect(o.decision.httpStatus).toBe(401);
    expect(parseChallenge(header(o, 'www-authenticate')!).error).toBe('invalid_token');
  });
});
