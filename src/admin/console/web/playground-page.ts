import { useEffect, useState } from 'preact/hooks';
import type { CheckResult, PolicyList, RevisionInfo, ShadowReportView, SuiteList, SuiteResult } from './api-types.js';
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

/** One answer, as `mcp-authz check --json` prints it; ids are prefixed (`candidate-`) for the candidate's column. */
function Result({ result, prefix, title }: { result: CheckResult; prefix: string; title: string }) {
  return html`<h2>${title}</h2>
    <dl>
      <dt>decision</dt><dd><${Badge} value=${result.decision} /> <span class="muted" id=${`${prefix}reason-code`}>${result.reason_code}</span></dd>
      <dt>rule</dt><dd id=${`${prefix}result-rule`}>${result.rule ?? '-'}</dd>
      <dt>message</dt><dd>${result.message ?? '-'}</dd>
      <dt>HTTP status</dt><dd>${result.http_status ?? '-'}</dd>
      <dt>policy</dt><dd class="mono" id=${`${prefix}result-policy`}>${result.policy ? `${result.policy.revision} (${result.policy.entrypoint})` : '-'}</dd>
      <dt>headers</dt><dd class="mono">${result.headers.length ? result.headers.map((h) => html`<div>${h.key}: ${h.value} [${h.append_action}]</div>`) : '-'}</dd>
      ${result.headers_to_remove.length ? html`<dt>removes</dt><dd class="mono">${result.headers_to_remove.join(', ')}</dd>` : ''}
      <dt>denial body</dt><dd class="mono">${result.body ?? '-'}</dd>
    </dl>`;
}

/**
 * Try a request against any remembered revision, exactly as `mcp-authz check --json` answers, and, when a shadow
 * candidate is loaded, against the candidate beside it; run a --cases suite.
 */
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
  const [candidate, setCandidate] = useState<string | null>(null);
  const [compare, setCompare] = useState(prefill?.compare ?? false);
  const [candidateResult, setCandidateResult] = useState<CheckResult | null>(null);
  const [error, setError] = useState('');
  const [suites, setSuites] = useState<string[]>([]);
  const [suite, setSuite] = useState('');
  const [cases, setCases] = useState<(Partial<SuiteResult> & { running?: boolean; error?: string }) | null>(null);

  useEffect(() => {
    void api<PolicyList>('/v1/policies').then(
      (r) => setRevisions(r.revisions),
      (e: Error) => setError(e.message),
    );
    void api<ShadowReportView>('/v1/policies/shadow/report?limit=1').then(
      (r) => setCandidate(r.candidate?.revision ?? null),
      () => setCandidate(null),
    );
    void api<SuiteList>('/v1/playground/suites').then((r) => {
      setSuites(r.suites);
      setSuite(r.suites[0] ?? '');
    });
  }, []);

  const run = async () => {
    setError('');
    const request = { body, headers: parseHeaders(headers), ...(principal ? { principal } : {}) };
    const both = compare && candidate !== null;
    try {
      const [r, c] = await Promise.all([
        api<CheckResult>('/v1/playground/check', { method: 'POST', body: { ...request, ...(revision ? { revision } : {}) } }),
        both ? api<CheckResult>('/v1/playground/check', { method: 'POST', body: { ...request, candidate: true } }) : null,
      ]);
      setResult(r);
      setCandidateResult(c);
    } catch (e) {
      setResult(null);
      setCandidateResult(null);
      setError((e as Error).message);
    }
  };
  const same =
    result && candidateResult
      ? result.decision === candidateResult.decision &&
        result.rule === candidateResult.rule &&
        result.reason_code === candidateResult.reason_code &&
        JSON.stringify(result.headers) === JSON.stringify(candidateResult.headers)
      : null;
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
          <label class="inline" title=${candidate ? `shadow candidate ${candidate}` : 'no shadow candidate is loaded (see Shadow)'}>
            <input type="checkbox" name="compare" checked=${compare && candidate !== null} disabled=${candidate === null} onChange=${(e: Event) => setCompare((e.currentTarget as HTMLInputElement).checked)} />
            also against the shadow candidate${candidate ? html` <span class="mono">${candidate}</span>` : ' (none loaded)'}
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
      <div>
        <div class="card" id="check-result">
          ${
            result
              ? html`<${Result} result=${result} prefix="" title=${candidateResult ? (revision ? `Revision ${revision}` : 'Active revision') : 'Result'} />
                ${
                  candidateResult &&
                  html`<p id="compare-verdict" class=${same ? 'muted' : 'error-text'}>${same ? 'The candidate answers the same.' : 'The candidate answers differently.'}</p>`
                }
                <h2>Input</h2>
                <pre id="result-input">${pretty(result.input)}</pre>
                <details><summary>Full result (mcp-authz check --json)</summary><pre id="result-json">${pretty(result)}</pre></details>`
              : html`<p class="muted">Edit the request and press Check: the answer is exactly what <span class="mono">mcp-authz check --json</span> prints for it.</p>`
          }
        </div>
        ${
          candidateResult &&
          html`<div class="card" id="candidate-result">
            <${Result} result=${candidateResult} prefix="candidate-" title="Shadow candidate" />
            <details><summary>Full result (mcp-authz check --json)</summary><pre id="candidate-result-json">${pretty(candidateResult)}</pre></details>
          </div>`
        }
      </div>
    </div>
  `;
}
