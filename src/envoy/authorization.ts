import type { CheckRequestWire } from '../check/request.js';
import { GRPC_PERMISSION_DENIED, type CheckResponseWire } from '../check/response.js';
import type { AuthorizationHandlers } from '../generated/proto/envoy/service/auth/v3/Authorization.js';

export type CheckHandler = (request: CheckRequestWire) => Promise<CheckResponseWire>;

/** A fixed denial for the unreachable case where the pipeline itself throws. */
const LAST_RESORT: CheckResponseWire = {
  status: { code: GRPC_PERMISSION_DENIED, message: 'internal_error' },
  denied_response: {
    status: { code: 500 },
    headers: [{ header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    body: '{"error":"authz_error","code":"internal_error","rule":"internal_error","message":"internal error"}',
  },
};

/**
 * The gRPC adapter for envoy.service.auth.v3.Authorization: converts the call to a plain handler call and back.
 * It answers every call with OK and a CheckResponse; denials and failures are PERMISSION_DENIED inside it.
 */
export function authorizationService(handler: CheckHandler, onInFlight?: (delta: 1 | -1) => void): AuthorizationHandlers {
  return {
    Check(call, callback) {
      onInFlight?.(1);
      handler(call.request)
        .catch(() => LAST_RESORT)
        .then((response) => {
          onInFlight?.(-1);
          callback(null, response);
        });
    },
  };
}
