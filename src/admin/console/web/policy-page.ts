import { useEffect, useState } from 'preact/hooks';
import type { PolicyActivated, PolicyList, RevisionInfo } from './api-types.js';
import { api, dateTime, html } from './html.js';

/** Remembered revisions (policy and data digests), which is active, reload and rollback. */
export function PolicyPage() {
  const [revisions, setRevisions] = useState<RevisionInfo[]>([]);
  const [message, setMessage] = useState('');
  const load = async () => {
    try {
      setRevisions((await api<PolicyList>('/v1/policies')).revisions);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);
  const reload = async () => {
    try {
      const r = await api<PolicyActivated>('/v1/policies/reload', { method: 'POST' });
      setMessage(`reloaded: active ${r.active}`);
    } catch (e) {
      setMessage(`reload failed: ${(e as Error).message}`);
    }
    await load();
  };
  const rollback = async (revision: string) => {
    try {
      const r = await api<PolicyActivated>('/v1/policies/rollback', { method: 'POST', body: { revision } });
      setMessage(`rolled back: active ${r.active}`);
    } catch (e) {
      setMessage(`rollback failed: ${(e as Error).message}`);
    }
    await load();
  };
  return html`
    <div class="card">
      <div class="row">
        <h2>Policy revisions</h2>
        <button class="primary" onClick=${reload}>Reload from source</button>
        ${message && html`<span class="muted" id="policy-message">${message}</span>`}
      </div>
      <table id="revisions">
        <thead><tr><th></th><th>revision</th><th>source</th><th>loaded</th><th>policy sha256</th><th>data sha256</th><th></th></tr></thead>
        <tbody>
          ${revisions.map(
            (r) => html`<tr>
              <td>${r.active ? html`<span class="badge allow">active</span>` : ''}</td>
              <td class="mono">${r.revision}</td><td class="mono">${r.source}</td><td>${dateTime(r.loaded_at)}</td>
              <td class="mono">${r.sha256.slice(0, 12)}</td><td class="mono">${(r.data_sha256 ?? '').slice(0, 12)}</td>
              <td>${r.active ? '' : html`<button onClick=${() => rollback(r.revision)}>Roll back to this</button>`}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  `;
}
