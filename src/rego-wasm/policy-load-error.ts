import type { STARTUP_ERROR } from '../shared/errors.js';

/** Why the engine refused a policy module. The codes are startup error codes (docs/decisions-and-errors.md). */
export type PolicyLoadErrorCode = (typeof STARTUP_ERROR)['policy_invalid' | 'policy_unsupported_builtin' | 'entrypoint_not_found'];

/**
 * The engine's only error type: a module it cannot load, with a stable code and the details to show (missing
 * builtins, the entrypoints there are). The policy layer (src/policy/engine.ts) turns it into the server's AuthzError.
 */
export class PolicyLoadError extends Error {
  constructor(
    readonly code: PolicyLoadErrorCode,
    /** The message without the details. */
    readonly summary: string,
    readonly details: string[] = [],
  ) {
    super(details.length ? `${summary}\n  - ${details.join('\n  - ')}` : summary);
    this.name = 'PolicyLoadError';
  }
}
