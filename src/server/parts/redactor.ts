import type { Config } from '../../config/schema.js';
import { createRedactor, type Redactor } from '../../observability/redact.js';

/** The decision log's redaction, shared by approvals (recorded arguments), the console (inputs shown) and the shadow. */
export function buildRedactor(cfg: Config): Redactor {
  return createRedactor(cfg.observability.decision_log.redact_fields, {
    extraHeaders: cfg.identity.jwt.payload_header ? [cfg.identity.jwt.payload_header] : [],
  });
}
