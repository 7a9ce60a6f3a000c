import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Approvals } from '../../approvals/approvals.js';
import type { Config } from '../../config/schema.js';
import type { Redactor } from '../../observability/redact.js';

/**
 * The approval loop (`approvals.enabled`): its store is opened here, so one that cannot be opened stops the start
 * before anything serves. Imported only when configured, so a server that does not use it never loads it.
 */
export async function buildApprovals(
  cfg: Config,
  deps: { registry: Registry; redactor: Redactor; logger: Logger; origin?: (key: string) => string },
): Promise<Approvals | undefined> {
  if (!cfg.approvals.enabled) return undefined;
  const { createApprovals } = await import('../../approvals/approvals.js');
  return createApprovals(cfg.approvals, {
    registry: deps.registry,
    redactor: deps.redactor,
    logger: deps.logger,
    ...(deps.origin ? { origin: deps.origin } : {}),
  });
}
