import { useEffect, useState } from 'preact/hooks';
import type { Approval, ApprovalActionResult, ApprovalDetail, ApprovalEvent, ApprovalHistory, ApprovalList } from './api-types.js';
import { api, Badge, dateTime, fieldValue, html, pretty } from './html.js';

type Action = 'approve' | 'reject';

/** `tool {"arg": …}` per call, as the webhook writes it: what would be approved, at a glance. */
const callsSummary = (a: Approval) => a.calls.map((c) => `${c.tool ?? '(no tool)'} ${JSON.stringify(c.arguments ?? null)}`).join('\n');

/** Everything a search can match: id, agent, tools, rule, message, arguments. */
const haystack = (a: Approval) => [a.id, a.agent ?? '', a.tools.join(' '), a.rule ?? '', a.message ?? '', callsSummary(a)].join('\n').toLowerCase();

/** The approval a deep link names: /console/approvals/<id> redirects to #/approvals/<id>. */
const linkedId = () => {
  const m = /^#\/approvals\/(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : undefined;
};

/**
 * Pending approvals with their redacted arguments, approve and reject behind a confirmation that repeats what is
 * being approved (with its own uses, TTL and reason), every approval by status with search, one approval's page
 * (a deep link), re-opening an expired one, and the audit history. Every action needs a named approver: the
 * admin_auth user, else the name typed here.
 */
export function ApprovalsPage() {
  const [pending, setPending] = useState<Approval[]>([]);
  const [all, setAll] = useState<Approval[]>([]);
  const [history, setHistory] = useState<ApprovalEvent[]>([]);
  const [status, setStatus] = useState('');
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<ApprovalDetail | null>(null);
  const [authUser, setAuthUser] = useState<string | null>(null);
  const [approver, setApprover] = useState(localStorage.getItem('mcp-authz-approver') ?? '');
  const [confirm, setConfirm] = useState<{ action: Action; approval: Approval } | null>(null);
  const [grant, setGrant] = useState({ uses: '1', ttl: '1h', reason: '' });
  const [message, setMessage] = useState('');
  const who = authUser ?? approver.trim();

  const load = async () => {
    try {
      const [p, a, h] = await Promise.all([
        api<ApprovalList>('/v1/approvals?status=pending'),
        api<ApprovalList>(`/v1/approvals?limit=1000${status ? `&status=${status}` : ''}`),
        api<ApprovalHistory>('/v1/approvals/history?limit=50'),
      ]);
      setPending(p.approvals);
      setAll(a.approvals);
      setHistory(h.events);
      setAuthUser(p.approver ?? null);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
    const t = setInterval(load, 2000);
    return () => clearInterval(t);
  }, [status]);

  const show = async (id: string) => {
    try {
      setSelected(await api<ApprovalDetail>(`/v1/approvals/${encodeURIComponent(id)}`));
      if (linkedId() !== id) replaceHash(`#/approvals/${encodeURIComponent(id)}`);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  useEffect(() => {
    const id = linkedId();
    if (id) void show(id);
  }, []);

  const ask = (action: Action, approval: Approval) => {
    setGrant({ uses: '1', ttl: '1h', reason: '' });
    setConfirm({ action, approval });
  };
  const post = async (id: string, action: Action | 'reopen', body: Record<string, unknown>) => {
    if (!authUser) localStorage.setItem('mcp-authz-approver', approver.trim());
    try {
      const r = await api<ApprovalActionResult>(`/v1/approvals/${encodeURIComponent(id)}/${action}`, {
        method: 'POST',
        body: authUser ? body : { ...body, by: approver.trim() },
      });
      setMessage(`${r.approval.status}: ${id.slice(0, 19)}…`);
      setConfirm(null);
      if (selected?.approval.id === id) await show(id);
      await load();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  const confirmAction = () => {
    if (!confirm) return;
    const body: Record<string, unknown> = grant.reason ? { reason: grant.reason } : {};
    if (confirm.action === 'approve') Object.assign(body, { uses: Number(grant.uses), ttl: grant.ttl });
    void post(confirm.approval.id, confirm.action, body);
  };
  const input = (k: keyof typeof grant, label: string, size = 6) =>
    html`<label>${label}<input name=${k} size=${size} value=${grant[k]} onInput=${(e: Event) => setGrant({ ...grant, [k]: fieldValue(e) })} /></label>`;
  const q = search.trim().toLowerCase();
  const matches = (a: Approval) => !q || haystack(a).includes(q);

  return html`
    <div class="card">
      <h2>Pending approvals</h2>
      <div class="row">
        ${
          authUser
            ? html`<span id="approver-name">approving as <strong>${authUser}</strong> (admin authentication)</span>`
            : html`<label>approver (required)<input name="approver" value=${approver} placeholder="your name" onInput=${(e: Event) => setApprover(fieldValue(e))} /></label>`
        }
        <label>search<input name="search" size="30" value=${search} placeholder="agent, tool, rule, argument, id" onInput=${(e: Event) => setSearch(fieldValue(e))} /></label>
        ${message && html`<span class="muted" id="approval-message">${message}</span>`}
      </div>
      ${
        confirm &&
        html`<div class="confirm" id="confirm" role="dialog" aria-label=${`${confirm.action} approval`}>
          <h2>${confirm.action === 'approve' ? 'Approve' : 'Reject'} this call?</h2>
          <dl>
            <dt>agent</dt><dd>${confirm.approval.agent ?? '-'}</dd>
            <dt>tools</dt><dd>${confirm.approval.tools.join(', ')}</dd>
            <dt>rule</dt><dd>${confirm.approval.rule ?? '-'} — ${confirm.approval.message ?? ''}</dd>
            <dt>id</dt><dd class="mono">${confirm.approval.id}</dd>
          </dl>
          <h2>Arguments (redacted)</h2>
          <pre id="confirm-arguments">${pretty(confirm.approval.calls)}</pre>
          <div class="row">
            ${confirm.action === 'approve' && html`${input('uses', 'uses', 4)} ${input('ttl', 'ttl (e.g. 15m, 1h)')}`}
            ${input('reason', 'reason', 30)}
            <button class=${confirm.action === 'approve' ? 'primary' : 'danger'} disabled=${!who} onClick=${confirmAction}>
              ${confirm.action === 'approve' ? `Approve as ${who || '…'}` : `Reject as ${who || '…'}`}
            </button>
            <button onClick=${() => setConfirm(null)}>Cancel</button>
            ${!who && html`<span class="error-text">Type your name as approver first.</span>`}
          </div>
        </div>`
      }
      <table id="pending">
        <thead><tr><th>agent</th><th>tools</th><th>arguments (redacted)</th><th>rule</th><th>message</th><th>asks</th><th>last seen</th><th></th></tr></thead>
        <tbody>
          ${pending.filter(matches).map(
            (a) => html`<tr key=${a.id} data-id=${a.id}>
              <td>${a.agent ?? '-'}</td><td>${a.tools.join(', ')}</td><td class="mono arguments">${callsSummary(a)}</td>
              <td>${a.rule ?? '-'}</td><td>${a.message ?? '-'}</td><td>${a.ask_count}</td><td>${dateTime(a.last_seen)}</td>
              <td class="actions">
                <button class="primary" onClick=${() => ask('approve', a)}>Approve…</button>
                <button class="danger" onClick=${() => ask('reject', a)}>Reject…</button>
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
          <thead><tr><th>status</th><th>agent</th><th>tools</th><th>arguments</th><th>decided by</th><th>uses left</th><th>last seen</th></tr></thead>
          <tbody>
            ${all.filter(matches).map(
              (
                a,
              ) => html`<tr key=${a.id} data-id=${a.id} class=${`clickable${selected?.approval.id === a.id ? ' selected' : ''}`} onClick=${() => show(a.id)}>
                <td><${Badge} value=${a.status} /></td><td>${a.agent ?? '-'}</td><td>${a.tools.join(', ')}</td>
                <td class="mono arguments">${callsSummary(a)}</td><td>${a.decided_by ?? '-'}</td><td>${a.uses_left ?? '-'}</td><td>${dateTime(a.last_seen)}</td>
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
      <div class="card" id="approval-detail">
        ${
          selected
            ? html`<h2>Approval</h2>
              <dl>
                <dt>id</dt><dd class="mono">${selected.approval.id}</dd>
                <dt>link</dt><dd class="mono"><a href=${`/console/approvals/${encodeURIComponent(selected.approval.id)}`}>/console/approvals/${selected.approval.id.slice(0, 19)}…</a></dd>
                <dt>status</dt><dd><${Badge} value=${selected.approval.status} /></dd>
                <dt>agent</dt><dd>${selected.approval.agent ?? '-'}</dd>
                <dt>rule</dt><dd>${selected.approval.rule ?? '-'}</dd>
                <dt>message</dt><dd>${selected.approval.message ?? '-'}</dd>
                <dt>revision</dt><dd class="mono">${selected.approval.revision ?? '-'}</dd>
                <dt>first / last seen</dt><dd>${dateTime(selected.approval.first_seen)} / ${dateTime(selected.approval.last_seen)} (${selected.approval.ask_count} asks)</dd>
                ${selected.approval.decided_by && html`<dt>decided</dt><dd>${selected.approval.decided_by} at ${dateTime(selected.approval.decided_at)}${selected.approval.reason ? ` — ${selected.approval.reason}` : ''}</dd>`}
                ${selected.approval.expires_at && html`<dt>grant</dt><dd>${selected.approval.uses_left}/${selected.approval.uses_granted} uses until ${dateTime(selected.approval.expires_at)}</dd>`}
              </dl>
              <div class="row">
                ${selected.approval.status === 'pending' && html`<button class="primary" onClick=${() => ask('approve', selected.approval)}>Approve…</button><button class="danger" onClick=${() => ask('reject', selected.approval)}>Reject…</button>`}
                ${
                  (selected.approval.status === 'expired' || selected.approval.status === 'used') &&
                  html`<button disabled=${!who} onClick=${() => post(selected.approval.id, 'reopen', {})}>Re-open as pending</button>`
                }
              </div>
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

/** Keep the address shareable (the approval's deep link) without a navigation. */
function replaceHash(hash: string): void {
  window.history.replaceState(null, '', hash);
}
