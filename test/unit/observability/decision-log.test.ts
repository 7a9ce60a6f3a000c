import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CheckRequestWire } from '../../../src/check/request.js';
import { addArgumentFacts } from '../../../src/facts/enrich.js';
import { createDecisionLogger, sampled, type DecisionLoggerOptions, type DecisionRecord } from '../../../src/observability/decision-log.js';
import { REDACTED } from '../../../src/observability/redact.js';
import { mcpCheckRequest, toolCall } from '../../helpers/requests.js';
import { DEFAULT_LIMITS, inputOf as requestInput } from '../../helpers/pipeline.js';

/** A destination that keeps every byte written to it. */
function capture() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  const text = () => Buffer.concat(chunks).toString('utf8');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { stream, text, lines };
}

function logger(opts: Omit<DecisionLoggerOptions, 'destination'> = {}) {
  const sink = capture();
  return { log: createDecisionLogger({ ...opts, destination: sink.stream }), ...sink };
}

function record(over: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decision: 'deny',
    wouldDeny: false,
    mode: 'enforce',
    policy: 'rev-abc',
    rule: 'max-refund-amount',
    message: 'Refund amount exceeds the $500 limit',
    reasonCode: 'policy_denied',
    httpStatus: 403,
    path: '/v1/refund',
    method: 'POST',
    mcp: { method: 'tools/call', tool: 'process_refund', id: 7 },
    agent: 'support-agent',
    decisionId: randomUUID(),
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    durationUs: 412,
    ...over,
  };
}

/** A real input document, as the pipeline builds it (facts included). */
function inputOf(req: CheckRequestWire, identity?: unknown) {
  const { input } = requestInput(req, DEFAULT_LIMITS);
  addArgumentFacts(input);
  if (identity) input.identity = identity;
  return input;
}

const SECRETS = {
  card: '4111111111111111',
  card2: '5500000000000004',
  ssn1: '123-45-6789',
  ssn2: '987-65-4321',
  ssn3: '111-22-3333',
  bearer: 'sekrit-bearer-token',
  cookie: 'sid=abc123cookie',
  apiKey: 'key-0f0f0f0f',
  custom: 'hunter2-custom',
  email: 'jane.doe@example.com',
  hook: 'https://hooks.example.com/private-webhook-path',
  payload: 'payload-header-secret',
};
const REDACT_FIELDS = [
  'arguments.card.number',
  'arguments.items[*].ssn',
  'arguments.callback',
  'identity.user.claims.email',
  'headers.X-Secret-Token',
];

describe('decision log', () => {
  it('writes one policy_decision line with the fields operators grep for', async () => {
    const { log, lines, text } = logger();
    const rec = record({
      decision: 'allow',
      wouldDeny: true,
      mode: 'audit',
      httpStatus: null,
      requestId: 'f3a0c1d2',
      input: { secret: 'not logged' },
    });
    log.log(rec);
    await log.flush();
    expect(text().endsWith('\n')).toBe(true);
    const [line, ...rest] = lines();
    expect(rest).toHaveLength(0);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'policy_decision',
      decision: 'allow',
      wouldDeny: true,
      mode: 'audit',
      policy: 'rev-abc',
      rule: rec.rule,
      message: rec.message,
      path: '/v1/refund',
      method: 'POST',
      mcp: { method: 'tools/call', tool: 'process_refund', id: 7 },
      agent: 'support-agent',
      decision_id: rec.decisionId,
      trace_id: rec.traceId,
      request_id: 'f3a0c1d2',
      duration_us: 412,
      reason_code: 'policy_denied',
      http_status: null,
    });
    expect(new Date(line!.time).toISOString()).toBe(line!.time);
    expect(line).not.toHaveProperty('input'); // logInput is off
    expect(text()).not.toContain('not logged');
  });

  it('redacts arguments, URL facts, claims and headers before anything reaches the stream', async () => {
    const req = mcpCheckRequest(
      toolCall('process_refund', {
        amount: 900,
        card: { number: SECRETS.card, exp: '12/30' },
        items: [{ ssn: SECRETS.ssn1, ok: 1 }, { ssn: SECRETS.ssn2 }],
        callback: SECRETS.hook,
        docs: 'https://docs.example.com/refunds',
      }),
      {
        rawBody: true,
        headers: {
          authorization: `Bearer ${SECRETS.bearer}`,
          cookie: SECRETS.cookie,
          'x-api-key': SECRETS.apiKey,
          'x-secret-token': SECRETS.custom,
          'x-jwt-payload': SECRETS.payload,
        },
      },
    );
    const input = inputOf(req, { verified: true, user: { sub: 'u1', claims: { email: SECRETS.email, team: 'support' } }, roles: [], scopes: [] });
    const used = [
      SECRETS.card,
      SECRETS.ssn1,
      SECRETS.ssn2,
      SECRETS.bearer,
      SECRETS.cookie,
      SECRETS.apiKey,
      SECRETS.custom,
      SECRETS.email,
      SECRETS.hook,
      SECRETS.payload,
    ];
    const before = JSON.stringify(input);
    for (const s of used) expect(before).toContain(s); // the test input really carries them

    const { log, text, lines } = logger({ logInput: true, redactFields: REDACT_FIELDS, redactHeaders: ['x-jwt-payload'] });
    log.log(record({ input }));
    await log.flush();
    for (const s of used) expect(text()).not.toContain(s);
    expect(JSON.stringify(input)).toBe(before); // the caller's input is not modified

    const logged = lines()[0]!.input;
    expect(logged.mcp.arguments.card).toEqual({ number: REDACTED, exp: '12/30' });
    expect(logged.mcp.arguments.items).toEqual([{ ssn: REDACTED, ok: 1 }, { ssn: REDACTED }]);
    expect(logged.mcp.arguments.amount).toBe(900);
    expect(logged.parsed_body.params.arguments.card.number).toBe(REDACTED);
    expect(logged.mcp.urls).toContainEqual({ path: 'callback', raw: REDACTED });
    expect(logged.mcp.urls).toContainEqual(expect.objectContaining({ path: 'docs', host: 'docs.example.com' }));
    expect(logged.identity.user.claims).toEqual({ email: REDACTED, team: 'support' });
    const headers = logged.attributes.request.http.headers;
    for (const h of ['authorization', 'cookie', 'x-api-key', 'x-secret-token', 'x-jwt-payload']) expect(headers[h]).toBe(REDACTED);
    expect(headers['content-type']).toBe('application/json');
    expect(logged.attributes.request.http.rawBody).toMatch(/^\[omitted/);
  });

  it('redacts inside every batch entry, and header_map headers', async () => {
    const batch = [
      toolCall('lookup_order', { items: [{ ssn: SECRETS.ssn3 }] }, 1),
      toolCall('process_refund', { card: { number: SECRETS.card2 }, callback: SECRETS.hook }, 2),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ];
    const req = mcpCheckRequest(batch);
    const http = req.attributes.request.http as Record<string, unknown>;
    // Envoy with encode_raw_headers: header_map instead of headers.
    http.header_map = {
      headers: Object.entries({ ...(http.headers as object), authorization: `Bearer ${SECRETS.bearer}` }).map(([key, v]) => ({
        key,
        raw_value: Buffer.from(String(v)),
      })),
    };
    delete http.headers;
    const input = inputOf(req);
    expect(JSON.stringify(input)).toContain(Buffer.from(`Bearer ${SECRETS.bearer}`).toString('base64'));

    const { log, text, lines } = logger({ logInput: true, redactFields: REDACT_FIELDS });
    log.log(record({ mcp: { method: 'batch', tool: null, id: null, batch_size: 3 }, input }));
    await log.flush();
    for (const s of [SECRETS.ssn3, SECRETS.card2, SECRETS.hook, SECRETS.bearer, Buffer.from(`Bearer ${SECRETS.bearer}`).toString('base64')])
      expect(text()).not.toContain(s);
    const logged = lines()[0]!.input;
    expect(logged.mcp.batch[0].arguments.items[0].ssn).toBe(REDACTED);
    expect(logged.mcp.batch[1].arguments.card.number).toBe(REDACTED);
    expect(logged.mcp.batch[1].urls).toEqual([{ path: 'callback', raw: REDACTED }]);
    expect(logged.parsed_body[1].params.arguments.card.number).toBe(REDACTED);
    expect(lines()[0]!.mcp).toEqual({ method: 'batch', tool: null, id: null, batch_size: 3 });
  });

  it('scrubs redacted values from the message, rule and path even when the input is not logged', async () => {
    const req = mcpCheckRequest(toolCall('fetch_url', { url: SECRETS.hook, pin: '123' }), {
      path: `/mcp/${SECRETS.custom}`,
      headers: { authorization: `Bearer ${SECRETS.bearer}` },
    });
    const input = inputOf(req);
    const { log, text, lines } = logger({ redactFields: ['arguments.url', 'arguments.pin'] });
    log.log(
      record({
        input,
        path: `/mcp/${SECRETS.custom}`,
        rule: 'url_not_allowed',
        message: `URL ${SECRETS.hook} is not approved (token Bearer ${SECRETS.bearer}); pin 123`,
      }),
    );
    await log.flush();
    expect(text()).not.toContain(SECRETS.hook);
    expect(text()).not.toContain(SECRETS.bearer);
    const [line] = lines();
    expect(line).not.toHaveProperty('input');
    expect(line!.message).toBe('URL [REDACTED] is not approved (token [REDACTED]); pin 123'); // shorter than 4: left alone
    expect(line!.path).toBe(`/mcp/${SECRETS.custom}`); // not a redacted value
    expect(line!.rule).toBe('url_not_allowed');
  });

  it('logs every non-allow and would-deny, and samples allows deterministically by decision id', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `decision-${i}`);
    const run = (rate: number) => {
      const l = logger({ allowSampleRate: rate });
      for (const id of ids) l.log.log(record({ decision: 'allow', httpStatus: null, decisionId: id }));
      for (const decision of ['deny', 'require_approval', 'error'] as const) l.log.log(record({ decision, decisionId: `${decision}-x` }));
      l.log.log(record({ decision: 'allow', wouldDeny: true, mode: 'audit', decisionId: 'audit-x' }));
      return l.lines().map((x) => x.decision_id as string);
    };
    const forced = ['deny-x', 'require_approval-x', 'error-x', 'audit-x'];
    expect(run(0)).toEqual(forced);
    expect(run(1)).toEqual([...ids, ...forced]);
    const quarter = run(0.25);
    const allows = quarter.filter((id) => id.startsWith('decision-'));
    expect(allows).toEqual(ids.filter((id) => sampled(id, 0.25)));
    expect(allows.length).toBeGreaterThan(400);
    expect(allows.length).toBeLessThan(600);
    expect(run(0.25)).toEqual(quarter); // stable across loggers (and processes)
    expect(quarter.slice(-4)).toEqual(forced);
  });

  it('answers wants() the same way log() decides, and level silent logs nothing', async () => {
    const { log, lines } = logger({ allowSampleRate: 0.5 });
    const ids = Array.from({ length: 200 }, (_, i) => `id-${i}`);
    const wanted = ids.filter((id) => log.wants('allow', false, id));
    for (const id of ids) log.log(record({ decision: 'allow', decisionId: id }));
    expect(lines().map((l) => l.decision_id)).toEqual(wanted);
    expect(log.wants('deny', false, 'any')).toBe(true);

    const silent = logger({ level: 'silent' });
    expect(silent.log.wants('deny', false, 'x')).toBe(false);
    silent.log.log(record());
    await silent.log.flush();
    expect(silent.text()).toBe('');
  });

  it('samples about the configured share of random ids', () => {
    const ids = Array.from({ length: 5000 }, () => randomUUID());
    for (const rate of [0.01, 0.1, 0.5, 0.9]) {
      const n = ids.filter((id) => sampled(id, rate)).length;
      expect(Math.abs(n / ids.length - rate), `rate ${rate}`).toBeLessThan(0.04);
    }
    expect(sampled('x', 0)).toBe(false);
    expect(sampled('x', Number.NaN)).toBe(false);
    expect(sampled('x', 1)).toBe(true);
  });

  it('creates its stdout destination lazily, in the factory, and flushes it', async () => {
    const log = createDecisionLogger({ allowSampleRate: 1 });
    await expect(log.flush()).resolves.toBeUndefined();
  });
});
