import type { Approval } from './types.js';

export interface WebhookOptions {
  url: string;
  /** Per attempt. The check never waits for the webhook: notify() returns at once. */
  timeoutMs: number;
  /** Attempts in all (the first one included). */
  maxAttempts: number;
  /** Delay before the second attempt; doubled for each further one. */
  initialBackoffMs: number;
  /** Extra request headers, e.g. an Authorization for a private receiver. */
  headers?: Record<string, string>;
  /** Where approvers act, named in the message (e.g. the console URL behind a port-forward). */
  consoleUrl?: string;
  onFailure?: (err: Error, attempts: number) => void;
}

export interface Notifier {
  /** Queue a notification for a new pending approval. Never throws, never blocks. */
  notify(approval: Approval): void;
  /** Stop retrying and wait for the attempts in flight (shutdown). */
  close(): Promise<void>;
}

/**
 * The JSON posted for a new pending approval. `text` makes it a valid Slack incoming-webhook message (Slack shows
 * it and ignores the rest); `event` and `approval` are for any other receiver.
 */
export function webhookPayload(a: Approval, consoleUrl?: string): Record<string, unknown> {
  const tools = a.tools.join(', ') || '(none)';
  const link = consoleUrl ? approvalLink(consoleUrl, a.id) : undefined;
  const lines = [
    `:raised_hand: Approval needed: agent *${a.agent ?? 'unknown'}* wants to call *${tools}* (rule \`${a.rule ?? '-'}\`).`,
    ...(a.message ? [`> ${a.message}`] : []),
    // What exactly would be approved: two payments of 50,000 and 77,000 must not look the same.
    `Arguments (redacted):\n\`\`\`\n${callsText(a)}\n\`\`\``,
    `Approve: \`mcp-authz approvals approve ${a.id}\` · reject: \`mcp-authz approvals reject ${a.id} --reason …\``,
    ...(link ? [`Console: ${link}`] : []),
  ];
  return { text: lines.join('\n'), event: 'approval.pending', approval: a, ...(link ? { console_url: link } : {}) };
}

const MAX_CALLS_SHOWN = 5;
const MAX_CALL_CHARS = 600;

/** One line per call, `tool {"arg": …}`, each cut at MAX_CALL_CHARS (the whole calls are in `approval`). */
export function callsText(a: Approval): string {
  const lines = a.calls.slice(0, MAX_CALLS_SHOWN).map((c) => {
    const line = `${c.tool ?? '(no tool)'} ${JSON.stringify(c.arguments ?? null)}`;
    return line.length > MAX_CALL_CHARS ? `${line.slice(0, MAX_CALL_CHARS)}…` : line;
  });
  if (a.calls.length > MAX_CALLS_SHOWN) lines.push(`… and ${a.calls.length - MAX_CALLS_SHOWN} more call(s)`);
  return lines.join('\n') || '(no calls)';
}

/** The console's page for one approval: `<approvals.webhook.console_url>/approvals/<id>` (a deep link). */
export const approvalLink = (consoleUrl: string, id: string): string => `${consoleUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(id)}`;

/**
 * POSTs each new pending approval to a webhook, off the check path: retried with exponential back-off on network
 * errors, timeouts, 429 and 5xx; other 4xx are not retried (the receiver refused this payload).
 */
export function createWebhookNotifier(opts: WebhookOptions): Notifier {
  const inFlight = new Set<Promise<void>>();
  const timers = new Map<NodeJS.Timeout, () => void>();
  const controller = new AbortController();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      t.unref();
      timers.set(t, resolve);
    });

  const send = async (a: Approval): Promise<void> => {
    const body = JSON.stringify(webhookPayload(a, opts.consoleUrl));
    let lastError: Error = new Error('not sent');
    for (let attempt = 1; attempt <= opts.maxAttempts && !closed; attempt++) {
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'mcp-authz', ...opts.headers },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), controller.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        lastError = new Error(`webhook answered HTTP ${res.status}`);
        if (res.status < 500 && res.status !== 429 && res.status !== 408) break;
      } catch (err) {
        lastError = err as Error;
      }
      if (attempt < opts.maxAttempts && !closed) await sleep(opts.initialBackoffMs * 2 ** (attempt - 1));
    }
    if (!closed) opts.onFailure?.(lastError, opts.maxAttempts);
  };

  return {
    notify(a) {
      if (closed) return;
      const p = send(a).catch(() => undefined);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    },
    async close() {
      closed = true;
      controller.abort();
      for (const [t, wake] of timers) {
        clearTimeout(t);
        wake();
      }
      timers.clear();
      await Promise.all(inFlight);
    },
  };
}
