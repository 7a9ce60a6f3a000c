/**
 * The MCP method names mcp-authz knows, spelled here once: the MCP specification's request methods (both
 * directions) and the 2025-11-25 tasks methods. Code that reads one method names it through MCP_METHOD.
 */
export const MCP_METHOD = {
  initialize: 'initialize',
  ping: 'ping',
  toolsList: 'tools/list',
  toolsCall: 'tools/call',
  resourcesList: 'resources/list',
  resourcesRead: 'resources/read',
  resourcesTemplatesList: 'resources/templates/list',
  resourcesSubscribe: 'resources/subscribe',
  resourcesUnsubscribe: 'resources/unsubscribe',
  promptsList: 'prompts/list',
  promptsGet: 'prompts/get',
  loggingSetLevel: 'logging/setLevel',
  completionComplete: 'completion/complete',
  samplingCreateMessage: 'sampling/createMessage',
  elicitationCreate: 'elicitation/create',
  rootsList: 'roots/list',
  tasksGet: 'tasks/get',
  tasksResult: 'tasks/result',
  tasksList: 'tasks/list',
  tasksCancel: 'tasks/cancel',
} as const;

export type McpMethod = (typeof MCP_METHOD)[keyof typeof MCP_METHOD];

/** Every method of the catalogue, in the order above. */
export const MCP_METHODS: readonly McpMethod[] = Object.values(MCP_METHOD);

/** The prefix of every MCP notification method (`notifications/initialized`, `notifications/cancelled`, …). */
export const NOTIFICATION_PREFIX = 'notifications/';
