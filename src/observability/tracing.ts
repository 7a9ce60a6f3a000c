import { context, defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { B3Propagator } from '@opentelemetry/propagator-b3';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface CheckResult {
  decision: string;
  rule?: string | undefined;
  revision?: string | undefined;
  mcpMethod?: string | undefined;
  tool?: string | undefined;
  /** Set for denials and errors: becomes the span status description. */
  error?: string | undefined;
}

export interface CheckSpan {
  /** The trace id (also in the decision log), or null when tracing is off. */
  traceId: string | null;
  /** Start a child span (parse, enrich, cache, evaluate); call the result to end it. */
  child(name: string): () => void;
  end(result: CheckResult): void;
}

export interface Tracing {
  enabled: boolean;
  startCheck(headers: Record<string, string>): CheckSpan;
  shutdown(): Promise<void>;
}

const NOOP_END = (): void => undefined;
const NOOP_SPAN: CheckSpan = { traceId: null, child: () => NOOP_END, end: () => undefined };

/**
 * Tracing is on only when an OTLP exporter is configured by the standard variables (OTEL_TRACES_EXPORTER=otlp,
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true. Off, every
 * check gets one shared no-op span: no allocation, no context work.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export function createTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!tracingEnabled(env)) return { enabled: false, startCheck: () => NOOP_SPAN, shutdown: async () => undefined };

  // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout, protocol http/json or http/protobuf).
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'mcp-authz' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  const tracer: Tracer = provider.getTracer('mcp-authz');
  // W3C trace context wins over B3 when both are present (it is applied last).
  const propagator = new CompositePropagator({ propagators: [new B3Propagator(), new W3CTraceContextPropagator()] });

  return {
    enabled: true,
    startCheck(headers) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const span = tracer.startSpan('ext_authz.check', { kind: SpanKind.SERVER }, parent);
      const ctx: Context = trace.setSpan(parent, span);
      return {
        traceId: span.spanContext().traceId,
        child(name) {
          const c: Span = tracer.startSpan(name, {}, ctx);
          return () => c.end();
        },
        end(result) {
          span.setAttributes({
            'authz.decision': result.decision,
            ...(result.rule ? { 'authz.rule': result.rule } : {}),
            ...(result.revision ? { 'authz.policy.revision': result.revision } : {}),
            ...(result.mcpMethod ? { 'mcp.method': result.mcpMethod } : {}),
            ...(result.tool ? { 'mcp.tool.name': result.tool } : {}),
          });
          if (result.decision !== 'allow') span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.decision });
          span.end();
        },
      };
    },
    async shutdown() {
      await context.with(ROOT_CONTEXT, () => provider.shutdown());
    },
  };
}
