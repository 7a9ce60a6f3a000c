import {
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { B3Propagator } from '@opentelemetry/propagator-b3';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CheckSpan, Tracing, TracingConfig } from './tracing.js';

const DEFAULT_FLUSH_TIMEOUT_MS = 5000;

/**
 * OpenTelemetry tracing of Checks. The span continues the caller's trace from the forwarded W3C `traceparent` /
 * `tracestate` headers, or from B3 (`b3`, or `x-b3-*`) when there is no traceparent. Endpoint, protocol, service
 * name and resource attributes come from `env`; the SDK reads the rest (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
 * _COMPRESSION, certificates, OTEL_BSP_*, OTEL_TRACES_SAMPLER*) from process.env.
 */
export function otelTracing(config: TracingConfig, warnings: string[]): Tracing {
  const exporter = config.protocol === 'http/json' ? new OTLPJsonTraceExporter({ url: config.url }) : new OTLPProtoTraceExporter({ url: config.url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('mcp-authz');
  // Extraction runs in order and the last one found wins: W3C trace context over B3.
  const propagator = new CompositePropagator({ propagators: [new B3Propagator(), new W3CTraceContextPropagator()] });

  return {
    enabled: true,
    config,
    warnings,
    startCheck(headers) {
      const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
      const span = tracer.startSpan('ext_authz.check', { kind: SpanKind.SERVER }, parent);
      return checkSpan(tracer, span, trace.setSpan(parent, span));
    },
    forceFlush: (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) => bounded(provider.forceFlush(), timeoutMs),
    shutdown: (timeoutMs = DEFAULT_FLUSH_TIMEOUT_MS) => bounded(provider.shutdown(), timeoutMs),
  };
}

/** Wait for an export at most timeoutMs; swallow its failure (exports are best effort). */
async function bounded(work: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function checkSpan(tracer: Tracer, span: Span, ctx: Context): CheckSpan {
  let ended = false;
  return {
    traceId: span.spanContext().traceId,
    child(name) {
      const c = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, ctx);
      let done = false;
      const end = (): void => {
        if (done) return;
        done = true;
        c.end();
      };
      return Object.assign(end, { end, setAttributes: (a: Attributes) => void c.setAttributes(a) });
    },
    setAttributes(a) {
      if (!ended) span.setAttributes(a);
    },
    end(result) {
      if (ended) return;
      ended = true;
      const a: Attributes = { 'authz.decision': result.decision };
      if (result.rule) a['authz.rule'] = result.rule;
      if (result.revision) a['authz.policy.revision'] = result.revision;
      if (result.reasonCode) a['authz.reason_code'] = result.reasonCode;
      if (result.mcpMethod) a['mcp.method'] = a['mcp.method.name'] = result.mcpMethod;
      if (result.tool) a['mcp.tool.name'] = a['gen_ai.tool.name'] = result.tool;
      if (result.agent) a['authz.agent'] = result.agent;
      if (result.approvalId) a['authz.approval.id'] = result.approvalId;
      if (result.approvedBy) a['authz.approval.approved_by'] = result.approvedBy;
      if (result.cache) a['authz.cache'] = result.cache;
      if (result.error && result.decision !== 'error') a['authz.denial'] = result.error;
      span.setAttributes(a);
      // A deny is a normal outcome (status left unset); only a server-side failure is an error.
      if (result.decision === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.decision });
      span.end();
    },
  };
}
