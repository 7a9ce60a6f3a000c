import { FINGERPRINT, type FingerprintSpec, type RequestFingerprint } from '../check/fingerprint.js';
import type { CheckRequestWire } from '../check/request.js';
import { GRPC_PERMISSION_DENIED, type CheckResponseWire } from '../check/response.js';
import { readCheckRequest } from './check-request-reader.js';
import { writeCheckResponse } from './check-response-writer.js';
import { frameInPlace, GrpcError, STATUS } from './grpc-protocol.js';
import { ProtoDecodeError } from './proto-reader.js';
import { createFingerprinter } from './request-fingerprint.js';

/** Answers one check: the response itself when nothing waits, else a promise of it. */
export interface CheckHandler {
  (request: CheckRequestWire): CheckResponseWire | Promise<CheckResponseWire>;
  /**
   * Cache hits by the request's fingerprint (check/fingerprint.ts), when the handler answers them: `answer` is the
   * response of a hit, or undefined (then the request is read, given its fingerprint, and handled).
   */
  fingerprints?: {
    spec: FingerprintSpec;
    answer(fingerprint: RequestFingerprint, read: () => CheckRequestWire): CheckResponseWire | undefined;
  };
}

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
  const fast = handler.fingerprints;
  const fingerprintOf = fast ? createFingerprinter(fast.spec) : undefined;
  // A fingerprint hit answers with a cached, frozen response object: framed once, the bytes are sent again.
  const framedHits = new WeakMap<CheckResponseWire, Buffer>();
  const framedHit = (response: CheckResponseWire): Buffer => {
    let bytes = framedHits.get(response);
    if (!bytes) framedHits.set(response, (bytes = framed(response)));
    return bytes;
  };
  return (message) => {
    // A hit by fingerprint is answered without reading the request; anything else reads it.
    const fingerprint = fingerprintOf?.(message);
    if (fingerprint) {
      onInFlight?.(1);
      let hit: CheckResponseWire | undefined;
      try {
        hit = fast!.answer(fingerprint, () => readCheckRequest(message));
      } catch {
        hit = undefined;
      }
      onInFlight?.(-1);
      if (hit) return Object.isFrozen(hit) ? framedHit(hit) : framed(hit);
    }
    let request: CheckRequestWire;
    try {
      request = readCheckRequest(message);
    } catch (err) {
      if (err instanceof ProtoDecodeError) throw new GrpcError(STATUS.INTERNAL, `Error deserializing request: ${err.message}`);
      throw err;
    }
    if (fingerprint) request[FINGERPRINT] = fingerprint;
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
