import { describe, expect, it } from 'vitest';
import { traceIdOf } from '../../../src/observability/trace-id.js';

describe('traceIdOf: the trace a request belongs to, with or without tracing', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  it('prefers the check span, then W3C traceparent, then B3', () => {
    expect(traceIdOf('span-trace', { traceparent: `00-${id}-00f067aa0ba902b7-01` })).toBe('span-trace');
    expect(traceIdOf(null, { traceparent: `00-${id}-00f067aa0ba902b7-01`, 'x-b3-traceid': 'a'.repeat(32) })).toBe(id);
    expect(traceIdOf(undefined, { 'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7' })).toBe('80f198ee56343ba864fe8b2a57d3eff7');
    expect(traceIdOf(undefined, { 'x-b3-traceid': '463ac35c9f6413ad' })).toBe('463ac35c9f6413ad');
    expect(traceIdOf(undefined, { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1' })).toBe('80f198ee56343ba864fe8b2a57d3eff7');
  });
  it('is null for malformed or all-zero ids, and without headers', () => {
    for (const traceparent of [`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, `00-${id.toUpperCase()}-00f067aa0ba902b7-01`, `00-${id}-01`, 'garbage']) {
      expect(traceIdOf(null, { traceparent }), traceparent).toBeNull();
    }
    expect(traceIdOf(null, { 'x-b3-traceid': 'xyz' })).toBeNull();
    expect(traceIdOf(null, {})).toBeNull();
    expect(traceIdOf(null, undefined)).toBeNull();
  });
});
