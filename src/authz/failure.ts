import { FAILURE_STATUS, MALFORMED_STATUS, type ReasonCode } from '../errors.js';
import type { Decision } from './types.js';

/**
 * A denial the server decides on its own: a malformed body (when `body.malformed` is `deny`), no policy
 * loaded, an evaluation error or an invalid decision. It is always a deny; the reason code names the cause.
 */
export function failureDecision(code: ReasonCode, message: string): Decision {
  return {
    allowed: false,
    kind: 'deny',
    reasonCode: code,
    httpStatus: MALFORMED_STATUS[code] ?? FAILURE_STATUS[code] ?? 403,
    headers: [],
    requestHeadersToRemove: [],
    responseHeadersToAdd: [],
    queryParametersToSet: [],
    queryParametersToRemove: [],
    rule: code,
    message,
  };
}

/** True for reason codes that describe a malformed request body (a client error), not a server failure. */
export const isMalformedBody = (code: ReasonCode): boolean => code in MALFORMED_STATUS;
