import type { CheckRequestWire } from '../check/request.js';
import { GRPC_PERMISSION_DENIED, type CheckResponseWire } from '../check/response.js';
import { readCheckRequest } from './check-request-reader.js';
import { writeCheckResponse } from './check-response-writer.js';
import { frameInPlace, GrpcError, STATUS } from './grpc-protocol.js';
import { ProtoDecodeError } from './proto-reader.js';

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
 * envoy.service.auth.v3.Authorization/Check over raw bytes: CheckRequest bytes → handler → framed CheckResponse.
 * Every call the pipeline answers is OK with a CheckResponse (denials and failures are PERMISSION_DENIED inside
 * it); bytes that are not a CheckRequest are INTERNAL, as grpc-js answered a message it could not decode.
 */
export function checkBytesHandler(handler: CheckHandler, onInFlight?: (delta: 1 | -1) => void): (message: Buffer) => Promise<Buffer> {
  return async (message) => {
    let request: CheckRequestWire;
    try {
      request = readCheckRequest(message);
    } catch (err) {
      if (err instanceof ProtoDecodeError) throw new GrpcError(STATUS.INTERNAL, `Error deserializing request: ${err.message}`);
      throw err;
    }
    onInFlight?.(1);
    let response: CheckResponseWire;
    try {
      response = await handler(request);
    } catch {
      response = LAST_RESORT;
    } finally {
      onInFlight?.(-1);
    }
    try {
      return frameInPlace(writeCheckResponse(response, true));
    } catch {
      return frameInPlace(writeCheckResponse(LAST_RESORT, true));
    }
  };
}
