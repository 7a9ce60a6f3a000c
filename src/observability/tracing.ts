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

export interface CheckResult {
  /** allow, deny, require_approval or error. deny and error set the span status to ERROR. */
  decision: string;
  rule?: string | undefined;
  revision?: string | undefined;
  mcpMethod?: string | undefined;
  tool?: string | undefined;
  reasonCode?: string | undefined;
  /** The span status description for a deny or an error (default: the decision). */
  error?: string | undefined;
}

/** A child span: call it, or call `end()`, to end it. */
export interface ChildSpan {
  (): void;
  end(): void;
  setAttributes(attributes: Attributes): void;
}

export interface CheckSpan {
  /** The trace id (for the decision log), or null when tracing is off. */
  traceId: string | null;
  /** Start a child span of the check (parse, enrich, cache, evaluate). */
  child(name: string): ChildSpan;
  setAttributes(attributes: Attributes): void;
  /** Set the decision attributes and status, and end the check span. Later calls do nothing. */
  end(result: CheckResult): void;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingConfig {
  /** The OTLP/HTTP traces URL spans are posted to. */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
}

export interface Tracing {
  enabled: boolean;
  /** What was configured, when enabled (for the startup log line). */
  config?: TracingConfig;
  /** Configuration problems that turned tracing off or were ignored (for the startup log line). */
  warnings: string[];
  startCheck(headers: Record<string, string>): CheckSpan;
  /** Export the spans ended so far. Never rejects; gives up after timeoutMs (default 5 s). */
  forceFlush(timeoutMs?: number): Promise<void>;
  /** Export what is left and stop. Never rejects (a collector that is down must not fail a shutdown); gives up after timeoutMs (default 5 s). */
  shutdown(timeoutMs?: number): Promise<void>;
}

const DEFAULT_FLUSH_TIMEOUT_MS = 5000;

const NOOP_CHILD: ChildSpan = Object.assign(() => undefined, { end: () => undefined, setAttributes: () => undefined });
const NOOP_SPAN: CheckSpan = { traceId: null, child: () => NOOP_CHILD, setAttributes: () => undefined, end: () => undefined };

/**
 * Tracing is on only when an OTLP exporter is configured by the standard variables (OTEL_TRACES_EXPORTER=otlp,
 * OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) and OTEL_SDK_DISABLED is not true. Off, every
 * check gets one shared no-op span: no allocation, no context work.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Endpoint, protocol and service name from the OTEL_* variables, as the OTLP exporter specification defines them:
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is; OTEL_EXPORTER_OTLP_ENDPOINT gets `/v1/traces` appended; the
 * default is http://localhost:4318/v1/traces. The protocol defaults to http/protobuf; `grpc` is not supported.
 */
export function tracingConfig(env: NodeJS.ProcessEnv): { config?: TracingConfig; warnings: string[] } {
  const warnings: string[] = [];
  const raw = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim().toLowerCase();
  if (raw !== 'http/protobuf' && raw !== 'http/json') {
    warnings.push(`tracing disabled: OTLP protocol "${raw}" is not supported (use http/protobuf or http/json)`);
    return { warnings };
  }
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const url = specific || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    warnings.push(`tracing disabled: OTLP endpoint "${url}" is not an http(s) URL`);
    return { warnings };
  }
  const attrs = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || (typeof attrs['service.name'] === 'string' ? attrs['service.name'] : '') || 'mcp-authz';
  return { config: { url, protocol: raw, serviceName }, warnings };
}

/** OTEL_RESOURCE_ATTRIBUTES: `key=value,key2=value2`, values percent-encoded. Malformed pairs are skipped. */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i <= 0) continue;
    try {
      out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
    } catch {
      // bad percent-encoding: skip the pair
    }
  }
  return out;
}

/**
 * OpenTelemetry tracing of Checks. The span continues the caller's trace from the forwarded W3C `traceparent` /
 * `tracestate` headers, or from B3 (`b3`, or `x-b3-*`) when there is no traceparent. Endpoint, protocol, service
 * name and resource attributes come from `env`; the SDK reads the rest (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT,
 * _COMPRESSION, certificates, OTEL_BSP_*, OTEL_TRACES_SAMPLER*) from process.env.
 */
export function createTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  if (!tracingEnabled(env)) return disabled([]);
  const { config, warnings } = tracingConfig(env);
  if (!config) return disabled(warnings);

  const exporter = config.protocol === 'http/json' ? new OTLPJsonTraceExporter({ url: config.url }) : new OTLPProtoTraceExporter({ url: config.url });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES), 'service.name': config.serviceName }),
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

function disabled(warnings: string[]): Tracing {
  return { enabled: false, warnings, startCheck: () => NOOP_SPAN, forceFlush: async () => undefined, shutdown: async () => undefined };
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
      span.setAttributes(a);
      if (result.decision === 'deny' || result.decision === 'error')
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? result.decision });
      span.end();
    },
  };
}

/**
 * The startup log line about tracing: on (where spans go) or off and why, so an operator who set OTEL_* variables
 * sees whether they took effect. `warn` when tracing was asked for but is off or partly ignored.
 */
export function tracingStatus(env: NodeJS.ProcessEnv, tracing: Tracing): { level: 'info' | 'warn'; msg: string; fields: Record<string, unknown> } {
  if (tracing.enabled && tracing.config) {
    const { url, protocol, serviceName } = tracing.config;
    const fields = {
      enabled: true,
      endpoint: url,
      protocol,
      service_name: serviceName,
      ...(tracing.warnings.length ? { warnings: tracing.warnings } : {}),
    };
    return { level: tracing.warnings.length ? 'warn' : 'info', msg: 'tracing on', fields };
  }
  let reason: string;
  if (tracing.warnings.length) reason = tracing.warnings.join('; ');
  else if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') reason = 'OTEL_SDK_DISABLED=true';
  else if (
    (env.OTEL_TRACES_EXPORTER ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .includes('none')
  )
    reason = 'OTEL_TRACES_EXPORTER=none';
  else reason = 'no OTLP exporter configured (set OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER=otlp)';
  return { level: tracing.warnings.length ? 'warn' : 'info', msg: 'tracing off', fields: { enabled: false, reason } };
}
