import { createRequire } from 'node:module';
import type { DestinationStream } from 'pino';
import type pinoPretty from 'pino-pretty';

/**
 * Where application and decision logs go for `observability.log_format` (`--log-format`). `json`: undefined,
 * each logger keeps its own asynchronous stdout destination (one JSON object a line). `text`: one shared
 * pino-pretty stream writing one readable line per record (`[12:00:00.123] WARN: JWKS fetch failed {…}`),
 * synchronously, so application and decision lines stay in order. pino-pretty is loaded only here, for `text`
 * (about 10 MB of RSS a `json` server does not carry).
 */
export function logDestination(format: 'json' | 'text'): DestinationStream | undefined {
  if (format === 'json') return undefined;
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    errorLikeObjectKeys: [],
  });
}
