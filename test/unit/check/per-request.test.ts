import { describe, expect, it } from 'vitest';
import { requestIds, restampDenialBody, withRequestIds } from '../../../src/check/per-request.js';
import { failureDecision } from '../../../src/check/failure.js';
import { createStages } from '../../../src/check/stage.js';

const err = (id: unknown) => ({ jsonrpc: '2.0', id, error: { code: -32001, message: 'denied' } });

describe('per-request fields of a cached denial', () => {
  it('reads the ids of a single message and of each batch entry (null where there is none)', () => {
    expect(requestIds({ is_batch: false, id: 7 })).toEqual([7]);
    expect(requestIds({ is_batch: false })).toEqual([null]);
    expect(
      requestIds({
        is_batch: true,
        batch: [
          { id: 'a', is_notification: false, is_response: false },
          { is_notification: true, is_response: false },
        ],
      }),
    ).toEqual(['a', null]);
    expect(requestIds(undefined)).toEqual([]);
  });

  it('puts the current ids into a JSON-RPC error, or into each error of a batch answer, by position', () => {
    expect(JSON.parse(restampDenialBody(JSON.stringify(err(1)), [1], ['x-9']))).toEqual(err('x-9'));
    const batch = JSON.stringify([err(1), err(3)]);
    expect(JSON.parse(restampDenialBody(batch, [1, null, 3], [11, null, 13]))).toEqual([err(11), err(13)]);
  });

  it('leaves every other body alone: HTTP JSON, text, non-errors, ambiguous ids', () => {
    const http = '{"error":"policy_denied","rule":"r","message":"m"}';
    expect(restampDenialBody(http, [1], [2])).toBe(http);
    expect(restampDenialBody('not json', [1], [2])).toBe('not json');
    const success = JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} });
    expect(restampDenialBody(success, [1], [2])).toBe(success);
    const ambiguous = JSON.stringify([err(1), err(1)]);
    expect(restampDenialBody(ambiguous, [1, 1], [5, 6])).toBe(ambiguous);
  });

  it('returns the shared decision itself when nothing changes, a copy otherwise', () => {
    const d = { ...failureDecision('policy_denied' as never, 'no'), body: JSON.stringify(err(1)) };
    expect(withRequestIds(d, [1], [1])).toBe(d);
    const other = withRequestIds(d, [1], [2]);
    expect(other).not.toBe(d);
    expect(JSON.parse(other.body!).id).toBe(2);
    expect(JSON.parse(d.body).id).toBe(1);
  });
});

describe('stage()', () => {
  it('times synchronous and asynchronous stages, ends their spans, and passes results and errors through', async () => {
    const spans: string[] = [];
    const t = createStages((name) => {
      spans.push(`start ${name}`);
      return () => spans.push(`end ${name}`);
    });
    expect(t.stage('decode', () => 1)).toBe(1);
    await expect(t.stage('identity', async () => 2)).resolves.toBe(2);
    expect(() =>
      t.stage('decide', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    await expect(t.stage('evaluate', () => Promise.reject(new Error('late')))).rejects.toThrow('late');
    expect(Object.keys(t.timings)).toEqual(['decode', 'identity', 'decide', 'evaluate']);
    for (const s of Object.values(t.timings)) expect(s).toBeGreaterThanOrEqual(0);
    expect(spans).toEqual([
      'start decode',
      'end decode',
      'start identity',
      'end identity',
      'start decide',
      'end decide',
      'start evaluate',
      'end evaluate',
    ]);
  });
});
