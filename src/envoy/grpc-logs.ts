import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * grpc-js's own log lines (printed on stderr as `E …` by default) go to the application log instead, as `warn`
 * with `grpc` holding the text. Its summary of a failed bind (`No address added out of total 1 resolved`) is
 * `debug`: the bind failure is already the startup error naming the setting (src/server/listen-error.ts).
 */
export function routeGrpcLogs(logger: Logger): void {
  const write =
    (level: 'warn' | 'debug') =>
    (...args: unknown[]): void => {
      const text = format(...args);
      logger[/^No address added out of total/.test(text) ? 'debug' : level]({ grpc: text }, 'grpc-js');
    };
  grpc.setLogger({ error: write('warn'), info: write('debug'), debug: write('debug') });
}
