/**
 * Settings reachable from flags and environment variables, each mapped to a config-file path. docs/configuration.md
 * lists the same table (test/docs/configuration.test.ts pins it). Precedence: flag > environment > config file > default.
 */
export interface Setting {
  flag: string;
  env: string;
  path: string[];
  kind: 'string' | 'number' | 'list';
  help: string;
  /** Placeholder of the value in --help (default VALUE). */
  value?: string;
}

export const SETTINGS: readonly Setting[] = [
  {
    flag: 'grpc-addr',
    env: 'MCP_AUTHZ_GRPC_ADDR',
    path: ['grpc_addr'],
    kind: 'string',
    help: 'gRPC listen address for ext_authz, health and reflection',
    value: 'host:port',
  },
  {
    flag: 'http-addr',
    env: 'MCP_AUTHZ_HTTP_ADDR',
    path: ['http_addr'],
    kind: 'string',
    help: 'HTTP listen address for /metrics, /healthz, /readyz',
    value: 'host:port',
  },
  {
    flag: 'admin-addr',
    env: 'MCP_AUTHZ_ADMIN_ADDR',
    path: ['admin_addr'],
    kind: 'string',
    help: 'HTTP listen address for the policy admin API (keep it on localhost)',
    value: 'host:port',
  },
  {
    flag: 'bundle',
    env: 'MCP_AUTHZ_BUNDLE',
    path: ['policy', 'bundle'],
    kind: 'string',
    help: 'policy bundle (.tar.gz from opa build -t wasm) or bare policy.wasm',
    value: 'FILE',
  },
  {
    flag: 'bundle-url',
    env: 'MCP_AUTHZ_BUNDLE_URL',
    path: ['policy', 'bundle_url'],
    kind: 'string',
    help: 'remote bundle URL (OPA bundle service protocol), polled with ETags',
    value: 'URL',
  },
  {
    flag: 'policy',
    env: 'MCP_AUTHZ_POLICY',
    path: ['policy', 'dir'],
    kind: 'string',
    help: 'directory of .rego files, compiled with the opa CLI at startup',
    value: 'DIR',
  },
  {
    flag: 'data',
    env: 'MCP_AUTHZ_DATA',
    path: ['policy', 'data'],
    kind: 'list',
    help: 'data document (JSON or YAML) merged into the policy data (env: comma-separated)',
    value: 'FILE',
  },
  {
    flag: 'entrypoint',
    env: 'MCP_AUTHZ_ENTRYPOINT',
    path: ['policy', 'entrypoint'],
    kind: 'string',
    help: 'policy entrypoint (pkg/rule)',
    value: 'pkg/rule',
  },
  {
    flag: 'max-body-bytes',
    env: 'MCP_AUTHZ_MAX_BODY_BYTES',
    path: ['body', 'max_bytes'],
    kind: 'number',
    help: 'largest request body parsed',
    value: 'N',
  },
  {
    flag: 'malformed',
    env: 'MCP_AUTHZ_MALFORMED',
    path: ['body', 'malformed'],
    kind: 'string',
    help: 'deny: the server denies malformed bodies itself; policy: the policy sees input.mcp.error',
    value: 'deny|policy',
  },
  {
    flag: 'compat',
    env: 'MCP_AUTHZ_COMPAT',
    path: ['compat'],
    kind: 'string',
    help: "opa-envoy: answer as OPA's Envoy plugin; none: mcp-authz's own; auto: opa-envoy for an envoy/… entrypoint",
    value: 'auto|none|opa-envoy',
  },
  {
    flag: 'log-level',
    env: 'MCP_AUTHZ_LOG_LEVEL',
    path: ['observability', 'log_level'],
    kind: 'string',
    help: 'application log level (decision logs are always info)',
    value: 'LEVEL',
  },
  {
    flag: 'workers',
    env: 'MCP_AUTHZ_WORKERS',
    path: ['workers'],
    kind: 'number',
    help: 'worker processes serving gRPC (node:cluster); default: available CPUs; 1: one process',
    value: 'N',
  },
  {
    flag: 'log-format',
    env: 'MCP_AUTHZ_LOG_FORMAT',
    path: ['observability', 'log_format'],
    kind: 'string',
    help: 'json: one JSON object a line; text: readable lines (application and decision logs)',
    value: 'json|text',
  },
  {
    flag: 'approvals-store',
    env: 'MCP_AUTHZ_APPROVALS_STORE',
    path: ['approvals', 'store'],
    kind: 'string',
    help: 'approval store: sqlite (one file every worker shares) or redis (shared by replicas)',
    value: 'sqlite|redis',
  },
  {
    flag: 'approvals-db',
    env: 'MCP_AUTHZ_APPROVALS_DB',
    path: ['approvals', 'sqlite', 'path'],
    kind: 'string',
    help: 'SQLite file of the approval store',
    value: 'FILE',
  },
  {
    flag: 'approvals-redis-url',
    env: 'MCP_AUTHZ_APPROVALS_REDIS_URL',
    path: ['approvals', 'redis', 'url'],
    kind: 'string',
    help: 'Redis URL of the approval store (with --approvals-store redis)',
    value: 'URL',
  },
  {
    flag: 'eval-timeout-ms',
    env: 'MCP_AUTHZ_EVAL_TIMEOUT_MS',
    path: ['policy', 'eval_timeout_ms'],
    kind: 'number',
    help: 'evaluation deadline in ms: a longer evaluation is cut off and its check denied (policy_timeout); 0: no deadline',
    value: 'MS',
  },
  {
    flag: 'shutdown-grace',
    env: 'MCP_AUTHZ_SHUTDOWN_GRACE',
    path: ['shutdown', 'grace_seconds'],
    kind: 'number',
    help: 'seconds to drain in-flight checks on SIGTERM',
    value: 'SECONDS',
  },
  {
    flag: 'shutdown-drain-delay',
    env: 'MCP_AUTHZ_SHUTDOWN_DRAIN_DELAY',
    path: ['shutdown', 'drain_delay_seconds'],
    kind: 'number',
    help: 'seconds of NOT_SERVING, still answering, before the port closes on SIGTERM',
    value: 'SECONDS',
  },
];

export const CONFIG_FLAG: Setting = {
  flag: 'config',
  env: 'MCP_AUTHZ_CONFIG',
  path: [],
  kind: 'string',
  help: 'YAML (or JSON) configuration file',
  value: 'FILE',
};
