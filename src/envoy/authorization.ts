import type { CheckRequestWire } from '../check/request.js';
import { GRPC_PERMISSION_DENIED, type CheckResponseWire } from '../check/response.js';
import { readCheckRequest } from './check-request-reader.js';
import { writeCheckResponse } from './check-response-writer.js';
import { frameInPlace, GrpcError, STATUS } from './grpc-protocol.js';
import { ProtoDecodeError } from './proto-reader.js';

/** Answers one check: the response itself when nothing waits, else a promise of it. */
export type CheckHandler = (request: CheckRequestWire) => CheckResponseWire | Promise<CheckResponseWire>;

/** A fixed denial for the unreachable case where the pipeline itself throws. */
const LAST_RESORT: CheckResponseWire = {
  status: { code: GRPC_PERMISSION_DENIED, message: 'internal_error' },
  denied_response: {
    status: { code: 500 },
    headers: [{ header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
    body: '{"error":"authz_error","code":"internal_error","rule":"internal_error","message":"internal error"}',
  },
};

/** The framed CheckResponse; one that cannot be written is replaced by the last-resort denial. */
function framed(response: CheckResponseWire): Buffer {
  try {
    return frameInPlace(writeCheckResponse(response, true));
  } catch {
    return frameInPlace(writeCheckResponse(LAST_RESORT, true));
  }
}

/**
 * envoy.service.auth.v3.Authorization/Check over raw bytes: CheckRequest bytes → handler → framed CheckResponse,
 * in the same call when the handler answers at once. Every call the pipeline answers is OK with a CheckResponse
 * (denials and failures are PERMISSION_DENIED inside it; a handler that throws or rejects gets the last-resort
 * denial); bytes that are not a CheckRequest throw INTERNAL, as grpc-js answered a message it could not decode.
 */
export function checkBytesHandler(handler: CheckHandler, onInFlight?: (delta: 1 | -1) => void): (message: Buffer) => Buffer | Promise<Buffer> {
  return (message) => {
    let request: CheckRequestWire;
    try {
      request = readCheckRequest(message);
    } catch (err) {
      if (err instanceof ProtoDecodeError) throw new GrpcError(STATUS.INTERNAL, `Error deserializing request: ${err.message}`);
      throw err;
    }
    onInFlight?.(1);
    let answer: CheckResponseWire | Promise<CheckResponseWire>;
    try {
      answer = handler(request);
    } catch {
      answer = LAST_RESORT;
    }
    if (answer instanceof Promise) {
      return answer.then(
        (response) => {
          onInFlight?.(-1);
          return framed(response);
        },
        () => {
          onInFlight?.(-1);
          return framed(LAST_RESORT);
        },
      );
    }
    onInFlight?.(-1);
    return framed(answer);
  };
}
