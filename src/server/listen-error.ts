import { AuthzError, STARTUP_ERROR, type StartupErrorCode } from '../shared/errors.js';

/** Why a listener could not bind, by the system error code Node or grpc-js reports. Stable codes, in docs. */
const REASONS: readonly (readonly [syscall: string, code: StartupErrorCode, why: string])[] = [
  ['EADDRINUSE', STARTUP_ERROR.address_in_use, 'address already in use (another process listens there; stop it or choose another port)'],
  ['EADDRNOTAVAIL', STARTUP_ERROR.address_not_available, 'address not available (no interface of this host has that IP)'],
  ['EACCES', STARTUP_ERROR.address_permission_denied, 'permission denied (ports below 1024 need privileges)'],
];

/**
 * Turn a bind failure into a startup error naming the setting it came from (`origin`, e.g.
 * `--http-addr 127.0.0.1:8181`), so `serve` reports it cleanly and exits 2 instead of printing a stack.
 */
export function listenError(err: unknown, origin: string): AuthzError {
  const text = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message ?? String(err)}`;
  for (const [syscall, code, why] of REASONS) {
    if (text.includes(syscall)) return new AuthzError(code, `${origin}: ${why}`);
  }
  return new AuthzError(STARTUP_ERROR.listen_failed, `${origin}: cannot listen: ${(err as Error).message ?? String(err)}`);
}

/** Run `start` (a server bind); a failure becomes a `listenError` naming `origin`. */
export async function listening<T>(origin: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw listenError(err, origin);
  }
}
