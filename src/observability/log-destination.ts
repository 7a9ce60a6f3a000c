import type { DestinationStream } from 'pino';
import pretty from 'pino-pretty';

/**
 * Where application and decision logs go for `observability.log_format` (`--log-format`). `json`: undefined,
 * each logger keeps its own asynchronous stdout destination (one JSON object a line). `text`: one shared
 * pino-pretty stream writing one readable line per record (`[12:00:00.123] WARN: JWKS fetch failed {…}`),
 * synchronously, so application and decision lines stay in order.
 */
export function logDestination(format: 'json' | 'text'): DestinationStream | undefined {
  if (format === 'json') return undefined;
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    errorLikeObjectKeys: [],
  });
}
