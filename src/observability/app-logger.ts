import pino, { type DestinationStream, type LevelWithSilent, type Logger } from 'pino';

export interface AppLoggerOptions {
  /** Default `info`. */
  level?: LevelWithSilent;
  /** Default: stdout through pino.destination (asynchronous writes, flushed at exit). */
  destination?: DestinationStream;
  /** Fields on every line. Default `{ service: "mcp-authz" }`. */
  base?: Record<string, unknown>;
}

/**
 * Keys that never reach an application log line, wherever a caller puts them (one or two levels deep): an
 * `err` or config object logged by mistake must not leak a token. pino's `redact` compiles these once.
 */
export const APP_LOG_REDACT_PATHS: readonly string[] = [
  'authorization',
  'bearer_token',
  'password',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.authorization',
  '*.bearer_token',
  '*.password',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
];

/**
 * The application logger (startup, reloads, errors): JSON lines in the decision log's format (`level` as a label,
 * ISO `time`, `msg`), `err` serialised with its stack, secrets-by-name redacted.
 */
export function createAppLogger(opts: AppLoggerOptions = {}): Logger {
  return pino(
    {
      base: opts.base ?? { service: 'mcp-authz' },
      level: opts.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
      redact: { paths: [...APP_LOG_REDACT_PATHS], censor: '[REDACTED]' },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
