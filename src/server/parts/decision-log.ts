import type { DestinationStream } from 'pino';
import type { Config } from '../../config/schema.js';
import { createDecisionLogger, type DecisionLogger } from '../../observability/decision-log.js';

/** The decision log of a role that answers checks (`observability.decision_log`), unless the caller brings one. */
export function buildDecisionLog(cfg: Config, destination: DestinationStream | undefined, given?: DecisionLogger): DecisionLogger | undefined {
  const dl = cfg.observability.decision_log;
  if (!dl.enabled) return undefined;
  return (
    given ??
    createDecisionLogger({
      redactFields: dl.redact_fields,
      allowSampleRate: dl.allow_sample_rate,
      logInput: dl.log_input,
      // The upstream-verified JWT payload header carries claims: never log it.
      ...(cfg.identity.jwt.payload_header ? { redactHeaders: [cfg.identity.jwt.payload_header] } : {}),
      ...(destination ? { destination } : {}),
    })
  );
}
