import type { Attributes } from '@opentelemetry/api';

export interface CheckResult {
  /**
   * allow, deny, require_approval or error. Only error (a server-side failure, still a denial) sets the span status
   * to ERROR: a deny is the server working as intended, and must not count in error-rate dashboards.
   */
  decision: string;
  rule?: string | undefined;
  revision?: string | undefined;
  mcpMethod?: string | undefined;
  tool?: string | undefined;
  reasonCode?: string | undefined;
  /** The span status description for an error, and the `authz.denial` attribute of a denial. */
  error?: string | undefined;
  /** input.identity.agent. */
  agent?: string | undefined;
  /** The approval id of a require_approval, or of the grant that allowed it. */
  approvalId?: string | undefined;
  /** Who approved the grant that allowed this check. */
  approvedBy?: string | undefined;
  /** hit, miss, bypass or off. */
  cache?: string | undefined;
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
  /** OTEL_RESOURCE_ATTRIBUTES, parsed (service.name is set from serviceName). */
  resourceAttributes: Record<string, string>;
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
  return { config: { url, protocol: raw, serviceName, resourceAttributes: attrs }, warnings };
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
 * OpenTelemetry tracing of Checks (see tracing-otel.ts), or a no-op when tracing is off. The OpenTelemetry SDK and
 * its exporters are imported only when tracing is on, so a server without OTEL_* settings never loads them.
 */
export async function createTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingEnabled(env)) return disabledTracing([]);
  const { config, warnings } = tracingConfig(env);
  if (!config) return disabledTracing(warnings);
  const { otelTracing } = await import('./tracing-otel.js');
  return otelTracing(config, warnings);
}

function disabledTracing(warnings: string[]): Tracing {
  return { enabled: false, warnings, startCheck: () => NOOP_SPAN, forceFlush: async () => undefined, shutdown: async () => undefined };
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
