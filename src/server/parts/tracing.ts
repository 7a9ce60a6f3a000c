import type { Logger } from 'pino';
import { createTracing, type Tracing, tracingStatus } from '../../observability/tracing.js';

/** Tracing of a role that answers checks: the OpenTelemetry SDK is imported only when tracing is on; one line says how. */
export async function buildTracing(env: NodeJS.ProcessEnv, logger: Logger): Promise<Tracing> {
  const tracing = await createTracing(env);
  const traced = tracingStatus(env, tracing);
  logger[traced.level]({ tracing: traced.fields }, traced.msg);
  return tracing;
}
