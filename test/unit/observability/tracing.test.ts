import { describe, expect, it } from 'vitest';
import { createTracing, tracingEnabled } from '../../../src/observability/tracing.js';

describe('tracing configuration from OTEL_* variables', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }, false],
  ])('%j → %s', (env, enabled) => {
    expect(tracingEnabled(env as NodeJS.ProcessEnv)).toBe(enabled);
  });

  it('is a shared no-op when off', () => {
    const t = createTracing({});
    expect(t.enabled).toBe(false);
    const a = t.startCheck({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(a).toBe(t.startCheck({}));
    expect(a.traceId).toBeNull();
  });
});
