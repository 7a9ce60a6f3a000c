import { useEffect, useState } from 'preact/hooks';
import type { Approval, ApprovalActionResult, ApprovalDetail, ApprovalEvent, ApprovalHistory, ApprovalList } from './api-types.js';
import { api, Badge, dateTime, html, pretty, fieldValue } from './html.js';

/** Pending approvals with approve and reject, every approval by status, and the audit history. */
export function ApprovalsPage() {
  const [pending, setPending] = useState<Approval[]>([]);
  const [all, setAll] = useState<Approval[]>([]);
  const [history, setHistory] = useState<ApprovalEvent[]>([]);
  const [status, setStatus] = useState('');
  const [selected, setSelected] = useState<ApprovalDetail | null>(null);
  const [approver, setApprover] = useState(localStorage.getItem('mcp-authz-approver') ?? '');
  const [grant, setGrant] = useState({ uses: '1', ttl: '1h', reason: '' });
  const [message, setMessage] = useState('');

  const load = async () => {
    try {
      const [p, a, h] = await Promise.all([
        api<ApprovalList>('/v1/approvals?status=pending'),
        api<ApprovalList>(`/v1/approvals?limit=200${status ? `&status=${status}` : ''}`),
        api<ApprovalHistory>('/v1/approvals/history?limit=50'),
      ]);
      setPending(p.approvals);
      setAll(a.approvals);
      setHistory(h.events);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [status]);

  const act = async (id: string, action: 'approve' | 'reject') => {
    localStorage.setItem('mcp-authz-approver', approver);
    const body: Record<string, unknown> = { by: approver || 'console' };
    if (grant.reason) body.reason = grant.reason;
    if (action === 'approve') Object.assign(body, { uses: Number(grant.uses), ttl: grant.ttl });
    try {
      const r = await api<ApprovalActionResult>(`/v1/approvals/${encodeURIComponent(id)}/${action}`, { method: 'POST', body });
      setMessage(`${r.approval.status}: ${id.slice(0, 19)}…`);
      if (selected?.approval.id === id) await show(id);
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const show = async (id: string) => setSelected(await api<ApprovalDetail>(`/v1/approvals/${encodeURIComponent(id)}`));
  const input = (k: keyof typeof grant, label: string, size = 6) =>
    html`<label>${label}<input name=${k} size=${size} value=${grant[k]} onInput=${(e: Event) => setGrant({ ...grant, [k]: fieldValue(e) })} /></label>`;

  return html`
    <div class="card">
      <h2>Pending approvals</h2>
      <div class="row">
        <label>approver<input name="approver" value=${approver} placeholder="your name" onInput=${(e: Event) => setApprover(fieldValue(e))} /></label>
        ${input('uses', 'uses', 4)} ${input('ttl', 'ttl (e.g. 15m, 1h)')} ${input('reason', 'reason', 30)}
        ${message && html`<span class="muted" id="approval-message">${message}</span>`}
      </div>
      <table id="pending">
        <thead><tr><th>agent</th><th>tools</th><th>rule</th><th>message</th><th>asks</th><th>last seen</th><th></th></tr></thead>
        <tbody>
          ${pending.map(
            (a) => html`<tr key=${a.id} data-id=${a.id}>
              <td>${a.agent ?? '-'}</td><td>${a.tools.join(', ')}</td><td>${a.rule ?? '-'}</td><td>${a.message ?? '-'}</td>
              <td>${a.ask_count}</td><td>${dateTime(a.last_seen)}</td>
              <td class="row">
                <button class="primary" onClick=${() => act(a.id, 'approve')}>Approve</button>
                <button class="danger" onClick=${() => act(a.id, 'reject')}>Reject</button>
                <button onClick=${() => show(a.id)}>Details</button>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
      ${pending.length === 0 && html`<p class="muted">Nothing is waiting for approval.</p>`}
    </div>
    <div class="split">
      <div class="card">
        <h2>All approvals</h2>
        <div class="row">
          <label>status
            <select value=${status} onChange=${(e: Event) => setStatus(fieldValue(e))}>
              <option value="">any</option>
              ${['pending', 'approved', 'rejected', 'used', 'expired'].map((s) => html`<option value=${s}>${s}</option>`)}
            </select>
          </label>
        </div>
        <table id="approvals">
          <thead><tr><th>status</th><th>agent</th><th>tools</th><th>decided by</th><th>uses left</th><th>last seen</th></tr></thead>
          <tbody>
            ${all.map(
              (a) => html`<tr key=${a.id} class="clickable" onClick=${() => show(a.id)}>
                <td><${Badge} value=${a.status} /></td><td>${a.agent ?? '-'}</td><td>${a.tools.join(', ')}</td>
                <td>${a.decided_by ?? '-'}</td><td>${a.uses_left ?? '-'}</td><td>${dateTime(a.last_seen)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        <h2>History</h2>
        <table id="history">
          <thead><tr><th>when</th><th>action</th><th>who</th><th>approval</th><th>reason</th></tr></thead>
          <tbody>
            ${history.map(
              (e) =>
                html`<tr><td>${dateTime(e.at)}</td><td>${e.action}</td><td>${e.actor ?? '-'}</td><td class="mono">${e.approval_id.slice(0, 19)}…</td><td>${e.reason ?? ''}</td></tr>`,
            )}
          </tbody>
        </table>
      </div>
      <div class="card">
        ${
          selected
            ? html`<h2>Approval</h2>
              <dl>
                <dt>id</dt><dd class="mono">${selected.approval.id}</dd>
                <dt>status</dt><dd><${Badge} value=${selected.approval.status} /></dd>
                <dt>agent</dt><dd>${selected.approval.agent ?? '-'}</dd>
                <dt>rule</dt><dd>${selected.approval.rule ?? '-'}</dd>
                <dt>message</dt><dd>${selected.approval.message ?? '-'}</dd>
                <dt>revision</dt><dd class="mono">${selected.approval.revision ?? '-'}</dd>
                <dt>first / last seen</dt><dd>${dateTime(selected.approval.first_seen)} / ${dateTime(selected.approval.last_seen)} (${selected.approval.ask_count} asks)</dd>
                ${selected.approval.decided_by && html`<dt>decided</dt><dd>${selected.approval.decided_by} at ${dateTime(selected.approval.decided_at)}${selected.approval.reason ? ` — ${selected.approval.reason}` : ''}</dd>`}
                ${selected.approval.expires_at && html`<dt>grant</dt><dd>${selected.approval.uses_left}/${selected.approval.uses_granted} uses until ${dateTime(selected.approval.expires_at)}</dd>`}
              </dl>
              <h2>Calls (arguments redacted)</h2>
              <pre>${pretty(selected.approval.calls)}</pre>
              <h2>Audit trail</h2>
              <table>${selected.events.map((e) => html`<tr><td>${dateTime(e.at)}</td><td>${e.action}</td><td>${e.actor ?? '-'}</td><td>${e.reason ?? ''}</td></tr>`)}</table>`
            : html`<p class="muted">Select an approval to see its calls and audit trail.</p>`
        }
      </div>
    </div>
  `;
}
