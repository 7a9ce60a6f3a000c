import { useEffect, useState } from 'preact/hooks';
import type { CheckResult, PolicyList, RevisionInfo, SuiteList, SuiteResult } from './api-types.js';
import { api, Badge, fieldValue, html, pretty, takePlaygroundPrefill } from './html.js';

const EXAMPLE = JSON.stringify(
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'http_proxy', arguments: { url: 'https://api.stripe.com/v1/charges', body: { amount: 50000 } } },
  },
  null,
  2,
);

const parseHeaders = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
};

/** Try a request against any remembered revision, exactly as `mcp-authz check --json` answers; run a --cases suite. */
export function PlaygroundPage() {
  // Opened from a decision ("Open in playground"): that request, else the example.
  const [prefill] = useState(takePlaygroundPrefill);
  const [body, setBody] = useState(prefill?.body ?? EXAMPLE);
  const [headers, setHeaders] = useState(
    prefill
      ? Object.entries(prefill.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\n')
      : '',
  );
  const [principal, setPrincipal] = useState(prefill ? (prefill.principal ?? '') : 'spiffe://cluster.local/ns/agents/sa/payment-agent');
  const [revisions, setRevisions] = useState<RevisionInfo[]>([]);
  const [revision, setRevision] = useState(prefill?.revision ?? '');
  const [result, setResult] = useState<CheckResult | null>(null);
  const [error, setError] = useState('');
  const [suites, setSuites] = useState<string[]>([]);
  const [suite, setSuite] = useState('');
  const [cases, setCases] = useState<(Partial<SuiteResult> & { running?: boolean; error?: string }) | null>(null);

  useEffect(() => {
    void api<PolicyList>('/v1/policies').then(
      (r) => setRevisions(r.revisions),
      (e: Error) => setError(e.message),
    );
    void api<SuiteList>('/v1/playground/suites').then((r) => {
      setSuites(r.suites);
      setSuite(r.suites[0] ?? '');
    });
  }, []);

  const run = async () => {
    setError('');
    try {
      setResult(
        await api<CheckResult>('/v1/playground/check', {
          method: 'POST',
          body: { body, headers: parseHeaders(headers), ...(principal ? { principal } : {}), ...(revision ? { revision } : {}) },
        }),
      );
    } catch (e) {
      setResult(null);
      setError((e as Error).message);
    }
  };
  const runSuite = async () => {
    setCases({ running: true });
    try {
      setCases(await api<SuiteResult>('/v1/playground/cases', { method: 'POST', body: { suite, ...(revision ? { revision } : {}) } }));
    } catch (e) {
      setCases({ error: (e as Error).message });
    }
  };

  return html`
    <div class="split">
      <div class="card">
        <h2>Request</h2>
        <label>MCP body<textarea name="body" rows="12" value=${body} onInput=${(e: Event) => setBody(fieldValue(e))}></textarea></label>
        <label>headers (one "name: value" per line, e.g. authorization: Bearer …)<textarea name="headers" rows="3" value=${headers} onInput=${(e: Event) => setHeaders(fieldValue(e))}></textarea></label>
        <div class="row">
          <label>source principal (identity)<input name="principal" size="48" value=${principal} onInput=${(e: Event) => setPrincipal(fieldValue(e))} /></label>
          <label>revision
            <select name="revision" value=${revision} onChange=${(e: Event) => setRevision(fieldValue(e))}>
              <option value="">active</option>
              ${revisions.map((r) => html`<option value=${r.revision} selected=${r.revision === revision}>${r.revision}${r.active ? ' (active)' : ''}</option>`)}
            </select>
          </label>
          <button class="primary" id="run-check" onClick=${run}>Check</button>
        </div>
        ${error && html`<p class="error-text">${error}</p>`}
        <h2>Regression suite (--cases)</h2>
        <div class="row">
          <select name="suite" value=${suite} onChange=${(e: Event) => setSuite(fieldValue(e))}>${suites.map((s) => html`<option value=${s}>${s}</option>`)}</select>
          <button id="run-cases" onClick=${runSuite} disabled=${!suite}>Run suite</button>
          ${cases?.passed !== undefined && html`<${Badge} value=${cases.passed ? 'allow' : 'deny'} label=${cases.passed ? 'passed' : 'failed'} />`}
        </div>
        ${cases && html`<pre id="cases-output">${cases.running ? 'running…' : (cases.output ?? cases.error)}</pre>`}
      </div>
      <div class="card" id="check-result">
        ${
          result
            ? html`<h2>Result</h2>
              <dl>
                <dt>decision</dt><dd><${Badge} value=${result.decision} /> <span class="muted" id="reason-code">${result.reason_code}</span></dd>
                <dt>rule</dt><dd id="result-rule">${result.rule ?? '-'}</dd>
                <dt>message</dt><dd>${result.message ?? '-'}</dd>
                <dt>HTTP status</dt><dd>${result.http_status ?? '-'}</dd>
                <dt>policy</dt><dd class="mono">${result.policy ? `${result.policy.revision} (${result.policy.entrypoint})` : '-'}</dd>
                <dt>headers</dt><dd class="mono">${result.headers.length ? result.headers.map((h) => html`<div>${h.key}: ${h.value} [${h.append_action}]</div>`) : '-'}</dd>
                ${result.headers_to_remove.length ? html`<dt>removes</dt><dd class="mono">${result.headers_to_remove.join(', ')}</dd>` : ''}
                <dt>denial body</dt><dd class="mono">${result.body ?? '-'}</dd>
              </dl>
              <h2>Input</h2>
              <pre id="result-input">${pretty(result.input)}</pre>
              <details><summary>Full result (mcp-authz check --json)</summary><pre id="result-json">${pretty(result)}</pre></details>`
            : html`<p class="muted">Edit the request and press Check: the answer is exactly what <span class="mono">mcp-authz check --json</span> prints for it.</p>`
        }
      </div>
    </div>
  `;
}
