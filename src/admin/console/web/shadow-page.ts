import { useEffect, useState } from 'preact/hooks';
import type {
  DifferenceGroup,
  PolicyList,
  RevisionInfo,
  ShadowDifference,
  ShadowDiscarded,
  ShadowPromoted,
  ShadowReportView,
  ShadowStatus,
} from './api-types.js';
import { api, Badge, dateTime, fieldValue, html, openInPlayground, pretty, requestFromInput, time } from './html.js';

/** Differences fetched per poll (the newest; the counts and groups cover all since the load). */
const LIMIT = 200;

type Load = { path: string } | { url: string } | { revision: string };
type Confirm = { action: 'load'; spec: Load } | { action: 'promote' } | { action: 'discard' };

/** `allow_to_deny` → `allow → deny`. */
const kindLabel = (kind: string) => kind.replace('_to_', ' → ').replaceAll('_', ' ');
const sameGroup = (d: ShadowDifference, g: DifferenceGroup) =>
  d.kind === g.kind && d.tool === g.tool && (d.candidate.rule ?? d.active.rule) === g.rule;
const keyOf = (d: ShadowDifference) => `${d.worker}-${d.seq}`;

/**
 * The shadow candidate (docs/lifecycle.md#shadow-evaluation): its differences with the active revision, live
 * (polled every second), grouped by kind, tool and rule, each with the redacted request and both answers and a way
 * into the playground with both revisions; load a candidate (a path on the server, a bundle URL or a remembered revision),
 * promote or discard it, each behind a confirmation and under a name (the admin_auth user, else the one typed here).
 */
export function ShadowPage() {
  const [report, setReport] = useState<ShadowReportView | null>(null);
  const [revisions, setRevisions] = useState<RevisionInfo[]>([]);
  const [group, setGroup] = useState<DifferenceGroup | null>(null);
  const [selected, setSelected] = useState<ShadowDifference | null>(null);
  const [path, setPath] = useState('');
  const [url, setUrl] = useState('');
  const [revision, setRevision] = useState('');
  const [actor, setActor] = useState(localStorage.getItem('mcp-authz-approver') ?? '');
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const who = report?.user ?? actor.trim();

  const poll = async () => {
    try {
      setReport(await api<ShadowReportView>(`/v1/policies/shadow/report?limit=${LIMIT}`));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const loadRevisions = async () => {
    try {
      setRevisions((await api<PolicyList>('/v1/policies')).revisions);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  useEffect(() => {
    void poll();
    void loadRevisions();
    const t = setInterval(() => void poll(), 1000);
    return () => clearInterval(t);
  }, []);

  const act = async () => {
    if (!confirm) return;
    if (!report?.user) localStorage.setItem('mcp-authz-approver', actor.trim());
    const by = report?.user ? {} : { by: actor.trim() };
    try {
      if (confirm.action === 'load') {
        const r = await api<ShadowStatus>('/v1/policies/shadow', { method: 'POST', body: { ...confirm.spec, ...by } });
        setMessage(`loaded: candidate ${r.candidate?.revision} from ${r.candidate?.from}`);
      } else if (confirm.action === 'promote') {
        const r = await api<ShadowPromoted>('/v1/policies/shadow/promote', { method: 'POST', body: by });
        setMessage(`promoted: active ${r.active} (${r.differences} differences in ${r.checks} checks)`);
      } else {
        const r = await api<ShadowDiscarded>('/v1/policies/shadow/discard', { method: 'POST', body: by });
        setMessage(`discarded ${r.discarded}: active ${r.active}`);
      }
      setGroup(null);
      setSelected(null);
    } catch (e) {
      setMessage(`${confirm.action} failed: ${(e as Error).message}`);
    }
    setConfirm(null);
    await Promise.all([poll(), loadRevisions()]);
  };

  const c = report?.candidate ?? null;
  const recent = (report?.recent ?? []).filter((d) => !group || sameGroup(d, group));
  const verb = confirm ? { load: 'Load', promote: 'Promote', discard: 'Discard' }[confirm.action] : '';
  const dialog =
    confirm &&
    html`<div class="confirm" role="dialog" aria-label=${`${confirm.action} shadow candidate`}>
      <h2>${verb} ${confirm.action === 'load' ? 'this candidate' : `candidate ${c?.revision ?? ''}`}?</h2>
      <dl>
        ${
          confirm.action === 'load'
            ? html`<dt>from</dt><dd class="mono">${'path' in confirm.spec ? confirm.spec.path : 'url' in confirm.spec ? confirm.spec.url : `revision ${confirm.spec.revision}`}</dd>
              ${c && html`<dt>replaces</dt><dd>candidate <span class="mono">${c.revision}</span>: its ${report!.differences} differences are forgotten</dd>`}`
            : html`<dt>candidate</dt><dd class="mono">${c?.revision} (${c?.from})</dd>
              <dt>differences</dt><dd>${report!.differences} in ${report!.checks} checks${Object.entries(report!.by_kind).map(([k, n]) => ` · ${kindLabel(k)} ${n}`)}</dd>`
        }
        ${confirm.action === 'promote' && html`<dt>then</dt><dd>it answers every check; <span class="mono">${report!.active}</span> stays remembered for rollback</dd>`}
        ${confirm.action === 'discard' && html`<dt>then</dt><dd>the candidate and its differences are forgotten; <span class="mono">${report!.active}</span> stays active</dd>`}
      </dl>
      <div class="row">
        <button class=${confirm.action === 'discard' ? 'danger' : 'primary'} disabled=${!who} onClick=${act}>${verb} as ${who || '…'}</button>
        <button onClick=${() => setConfirm(null)}>Cancel</button>
        ${!who && html`<span class="error-text">Type your name first.</span>`}
      </div>
    </div>`;

  return html`
    <div class="card" id="shadow-candidate">
      <h2>Shadow candidate</h2>
      ${
        c
          ? html`<dl>
              <dt>candidate</dt><dd class="mono" id="candidate-revision">${c.revision}</dd>
              <dt>from</dt><dd class="mono">${c.from}</dd>
              <dt>loaded</dt><dd>${dateTime(c.loaded_at)} by ${c.loaded_by}</dd>
              <dt>active</dt><dd class="mono">${report!.active ?? '-'}</dd>
              <dt>checks</dt><dd id="shadow-counts">${report!.checks} evaluated · ${report!.differences} differences · dropped: ${report!.dropped.queue_full} queue full, ${report!.dropped.rate_limit} over the rate</dd>
              <dt>by kind</dt><dd>${Object.keys(report!.by_kind).length ? Object.entries(report!.by_kind).map(([k, n]) => html`<${Badge} value=${k} label=${`${kindLabel(k)} ${n}`} /> `) : 'none'}</dd>
            </dl>`
          : html`<p class="muted" id="no-candidate">No candidate is loaded: every check is answered by <span class="mono">${report?.active ?? '-'}</span> alone. Load one to see where it would answer differently.</p>`
      }
      <div class="row">
        ${
          report?.user
            ? html`<span>acting as <strong>${report.user}</strong> (admin authentication)</span>`
            : html`<label>your name (required)<input name="actor" value=${actor} placeholder="your name" onInput=${(e: Event) => setActor(fieldValue(e))} /></label>`
        }
        ${c && html`<button class="primary" onClick=${() => setConfirm({ action: 'promote' })}>Promote…</button><button class="danger" onClick=${() => setConfirm({ action: 'discard' })}>Discard…</button>`}
      </div>
      <h2 class="sub">Load a candidate</h2>
      <div class="row">
        <label>policy directory or bundle file on the server<input name="candidate-path" size="40" value=${path} onInput=${(e: Event) => setPath(fieldValue(e))} /></label>
        <button disabled=${!path.trim()} onClick=${() => setConfirm({ action: 'load', spec: { path: path.trim() } })}>Load path…</button>
      </div>
      <div class="row">
        <label>or a bundle URL the server downloads<input name="candidate-url" size="40" value=${url} placeholder="https://…/bundle.tar.gz" onInput=${(e: Event) => setUrl(fieldValue(e))} /></label>
        <button disabled=${!url.trim()} onClick=${() => setConfirm({ action: 'load', spec: { url: url.trim() } })}>Load URL…</button>
      </div>
      <div class="row">
        <label>or a remembered revision
          <select name="candidate-revision" value=${revision} onChange=${(e: Event) => setRevision(fieldValue(e))}>
            <option value="">choose…</option>
            ${revisions.map((r) => html`<option value=${r.revision}>${r.revision}${r.active ? ' (active)' : ''}</option>`)}
          </select>
        </label>
        <button disabled=${!revision} onClick=${() => setConfirm({ action: 'load', spec: { revision } })}>Load revision…</button>
      </div>
      ${message && html`<p class="muted" id="shadow-message">${message}</p>`}
      ${error && html`<p class="error-text">${error}</p>`}
      ${dialog}
    </div>
    <div class="card">
      <h2>Differences by kind, tool and rule</h2>
      <table id="shadow-groups">
        <thead><tr><th>kind</th><th>tool</th><th>rule</th><th>count</th></tr></thead>
        <tbody>
          ${(report?.groups ?? []).map(
            (g) => html`<tr class=${`clickable ${group && g.kind === group.kind && g.tool === group.tool && g.rule === group.rule ? 'selected' : ''}`}
              onClick=${() => setGroup(group && g.kind === group.kind && g.tool === group.tool && g.rule === group.rule ? null : g)}>
              <td><${Badge} value=${g.kind} label=${kindLabel(g.kind)} /></td><td>${g.tool ?? '-'}</td><td>${g.rule ?? '-'}</td><td>${g.count}</td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${(report?.groups.length ?? 0) === 0 && html`<p class="muted">No differences${c ? ' yet' : ''}.</p>`}
      ${group && html`<p class="muted">Showing ${kindLabel(group.kind)} · ${group.tool ?? '-'} · ${group.rule ?? '-'} <button onClick=${() => setGroup(null)}>Show all</button></p>`}
    </div>
    <div class="split">
      <div class="card">
        <table id="shadow-differences">
          <thead><tr><th>time</th><th>kind</th><th>tool</th><th>agent</th><th>active</th><th>candidate</th></tr></thead>
          <tbody>
            ${recent.map(
              (
                d,
              ) => html`<tr key=${keyOf(d)} class=${`clickable ${selected && keyOf(selected) === keyOf(d) ? 'selected' : ''}`} onClick=${() => setSelected(d)}>
                <td>${time(d.at)}</td><td><${Badge} value=${d.kind} label=${kindLabel(d.kind)} /></td><td>${d.tool ?? d.method ?? '-'}</td><td>${d.agent ?? '-'}</td>
                <td>${d.active.decision} ${d.active.rule ? `(${d.active.rule})` : ''}</td><td>${d.candidate.decision} ${d.candidate.rule ? `(${d.candidate.rule})` : ''}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${recent.length === 0 && html`<p class="muted">Differences appear here as checks arrive.</p>`}
      </div>
      <div class="card" id="shadow-detail">
        ${
          selected
            ? html`<h2>${kindLabel(selected.kind)}: ${selected.tool ?? selected.method ?? '-'}</h2>
              <table class="compare">
                <thead><tr><th></th><th>active</th><th>candidate</th></tr></thead>
                <tbody>
                  <tr><td>revision</td><td class="mono">${selected.active_revision ?? '-'}</td><td class="mono">${selected.candidate_revision}</td></tr>
                  <tr><td>decision</td><td><${Badge} value=${selected.active.decision} /></td><td><${Badge} value=${selected.candidate.decision} /></td></tr>
                  <tr><td>rule</td><td>${selected.active.rule ?? '-'}</td><td>${selected.candidate.rule ?? '-'}</td></tr>
                  <tr><td>reason code</td><td class="mono">${selected.active.reason_code}</td><td class="mono">${selected.candidate.reason_code}</td></tr>
                  <tr><td>headers</td><td class="mono">${selected.active.headers.map((h) => html`<div>${h}</div>`)}</td><td class="mono">${selected.candidate.headers.map((h) => html`<div>${h}</div>`)}</td></tr>
                  <tr><td>message</td><td>${selected.active.message ?? '-'}</td><td>${selected.candidate.message ?? '-'}</td></tr>
                </tbody>
              </table>
              <p class="muted">${selected.method ?? '-'} · agent ${selected.agent ?? '-'} · ${selected.at} · worker ${selected.worker}</p>
              <div class="row">
                <button id="open-in-playground" onClick=${() => openInPlayground({ ...requestFromInput(selected.input, selected.active_revision), compare: true })}>Open in playground</button>
              </div>
              <h2>Request (redacted)</h2>
              <pre id="shadow-input">${pretty(selected.input)}</pre>`
            : html`<p class="muted">Select a difference to see the redacted request and both answers.</p>`
        }
      </div>
    </div>
  `;
}
