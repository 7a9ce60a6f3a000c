import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConsoleDecision, DecisionList } from './api-types.js';
import { api, Badge, fieldValue, html, openInPlayground, type PlaygroundPrefill, pretty, requestFromInput, time } from './html.js';

const KEEP = 500;

/** The request a recorded decision was made for, as the playground takes it. */
export const playgroundRequest = (d: ConsoleDecision): PlaygroundPrefill => requestFromInput(d.input, d.revision);

/** Live recent decisions (sampled by the server), newest first, with filters and a detail view. */
export function DecisionsPage() {
  const [rows, setRows] = useState<ConsoleDecision[]>([]);
  const [filter, setFilter] = useState({ decision: '', agent: '', tool: '', rule: '' });
  const [paused, setPaused] = useState(false);
  const [selected, setSelected] = useState<ConsoleDecision | null>(null);
  const [info, setInfo] = useState({ size: 0, dropped: 0 });
  const [error, setError] = useState('');
  const latest = useRef(0);

  const query = (after?: number) => {
    const q = new URLSearchParams({ limit: '200' });
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    if (after) q.set('after', String(after));
    return `/v1/decisions?${q}`;
  };

  useEffect(() => {
    let stop = false;
    latest.current = 0;
    setRows([]);
    const poll = async () => {
      if (stop) return;
      try {
        const r = await api<DecisionList>(query(latest.current || undefined));
        if (r.decisions.length) {
          latest.current = Math.max(latest.current, r.decisions[0]!.seq);
          setRows((old) => [...r.decisions, ...old].slice(0, KEEP));
        } else if (!latest.current) latest.current = r.latest;
        setInfo({ size: r.size, dropped: r.dropped });
        setError('');
      } catch (e) {
        setError((e as Error).message);
      }
    };
    void poll();
    const timer = setInterval(() => !paused && void poll(), 1000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [filter, paused]);

  const open = async (seq: number) => {
    try {
      setSelected(await api<ConsoleDecision>(`/v1/decisions/${seq}`));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const field = (k: keyof typeof filter, label: string) =>
    html`<label>${label}<input name=${k} value=${filter[k]} onChange=${(e: Event) => setFilter({ ...filter, [k]: fieldValue(e) })} /></label>`;

  return html`
    <div class="card">
      <div class="row">
        <label>decision
          <select name="decision" value=${filter.decision} onChange=${(e: Event) => setFilter({ ...filter, decision: fieldValue(e) })}>
            <option value="">any</option>
            ${['allow', 'deny', 'require_approval', 'error'].map((d) => html`<option value=${d}>${d}</option>`)}
          </select>
        </label>
        ${field('agent', 'agent')} ${field('tool', 'tool')} ${field('rule', 'rule')}
        <button onClick=${() => setPaused(!paused)}>${paused ? 'Resume' : 'Pause'}</button>
        <span class="muted">${info.size} in buffer · ${info.dropped} not sampled</span>
        ${error && html`<span class="error-text">${error}</span>`}
      </div>
    </div>
    <div class="split">
      <div class="card">
        <table id="decisions">
          <thead><tr><th>time</th><th>decision</th><th>agent</th><th>tool</th><th>rule</th><th>µs</th></tr></thead>
          <tbody>
            ${rows.map(
              (d) => html`<tr key=${d.seq} class=${`clickable ${selected?.seq === d.seq ? 'selected' : ''}`} onClick=${() => open(d.seq)}>
                <td>${time(d.time)}</td><td><${Badge} value=${d.decision} /></td><td>${d.agent ?? '-'}</td><td>${d.tool ?? d.mcp_method ?? '-'}</td>
                <td>${d.rule ?? '-'}${d.approved_by ? html` <span class="muted">(approved by ${d.approved_by})</span>` : ''}</td><td>${d.duration_us}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${rows.length === 0 && html`<p class="muted">No decisions yet.</p>`}
      </div>
      <div class="card" id="decision-detail">
        ${
          selected
            ? html`<h2>Decision #${selected.seq}</h2>
              <dl>
                <dt>decision</dt><dd><${Badge} value=${selected.decision} /> <span class="muted">${selected.reason_code}${selected.http_status ? ` · HTTP ${selected.http_status}` : ''}</span></dd>
                <dt>rule</dt><dd>${selected.rule ?? '-'}</dd>
                <dt>message</dt><dd>${selected.message ?? '-'}</dd>
                <dt>matched rules</dt><dd>${selected.matched_rules.length ? selected.matched_rules.join(', ') : '-'}</dd>
                <dt>agent</dt><dd>${selected.agent ?? '-'}</dd>
                <dt>revision</dt><dd class="mono">${selected.revision ?? '-'}</dd>
                <dt>trace id</dt><dd class="mono">${selected.trace_id ?? '-'}</dd>
                ${selected.approval_id && html`<dt>approval</dt><dd class="mono">${selected.approval_id}${selected.approved_by ? ` (approved by ${selected.approved_by})` : ''}</dd>`}
                <dt>time</dt><dd>${selected.time} · worker ${selected.worker}</dd>
              </dl>
              <div class="row"><button id="open-in-playground" onClick=${() => openInPlayground(playgroundRequest(selected))}>Open in playground</button></div>
              <h2>Input (redacted)</h2>
              <pre>${pretty(selected.input)}</pre>`
            : html`<p class="muted">Select a decision to see its redacted input, matched rules, revision and trace id.</p>`
        }
      </div>
    </div>
  `;
}
