/** The console's stylesheet (served as /console/app/console.css; a CSP forbids inline styles). */
export const CONSOLE_CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f7f8fa; --card: #fff; --accent: #2f5bd3;
  --allow: #137a3f; --deny: #b42318; --approval: #b54708; --error: #6941c6; font: 14px/1.45 system-ui, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 20px; background: #101828; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header nav a { color: #cbd5e1; text-decoration: none; margin-right: 16px; padding: 4px 0; }
header nav a.active { color: #fff; border-bottom: 2px solid #8ea8ff; }
header .status { margin-left: auto; color: #cbd5e1; font-size: 12px; }
main { padding: 16px 20px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px; margin-bottom: 14px; }
.card h2 { font-size: 15px; margin: 0 0 10px; }
.row { display: flex; gap: 12px; flex-wrap: wrap; align-items: flex-end; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px; align-items: start; }
label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); }
input, select, textarea { font: inherit; padding: 5px 7px; border: 1px solid #d0d5dd; border-radius: 6px; background: #fff; color: var(--fg); }
textarea { font-family: ui-monospace, monospace; font-size: 12px; width: 100%; }
button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #d0d5dd; background: #fff; cursor: pointer; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { background: var(--deny); border-color: var(--deny); color: #fff; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--line); padding: 5px 6px; }
td { border-bottom: 1px solid var(--line); padding: 5px 6px; vertical-align: top; word-break: break-word; }
tr.clickable { cursor: pointer; }
tr.clickable:hover, tr.selected { background: #eef2ff; }
.badge { display: inline-block; white-space: nowrap; word-break: keep-all; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
.badge.allow, .badge.approved, .badge.used { background: var(--allow); }
.badge.deny, .badge.rejected { background: var(--deny); }
.badge.require_approval, .badge.pending { background: var(--approval); }
.badge.error, .badge.expired { background: var(--error); }
pre { background: #0f172a; color: #e2e8f0; padding: 10px; border-radius: 6px; overflow: auto; font-size: 12px; max-height: 480px; margin: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0 0 10px; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-all; }
.muted { color: var(--muted); }
.error-text { color: var(--deny); }
.mono { font-family: ui-monospace, monospace; font-size: 12px; }
td.arguments { white-space: pre-wrap; max-width: 420px; }
/* Narrow windows: the two columns stack, the header wraps, wide tables scroll instead of crushing their cells. */
@media (max-width: 900px) {
  .split { grid-template-columns: minmax(0, 1fr); }
  header { flex-wrap: wrap; gap: 8px 16px; }
  .card { overflow-x: auto; }
}
td.actions { white-space: nowrap; word-break: normal; }
td.actions button { margin-right: 6px; }
.card .row + .row { margin-top: 8px; }
.card h2.sub { margin-top: 14px; }
label.inline { flex-direction: row; align-items: center; gap: 6px; }
.badge.allow_to_deny, .badge.require_approval_to_deny { background: var(--deny); }
.badge.deny_to_allow, .badge.require_approval_to_allow { background: var(--allow); }
.badge.allow_to_require_approval, .badge.deny_to_require_approval { background: var(--approval); }
.badge.rule, .badge.headers { background: var(--accent); }
table.compare td:first-child { color: var(--muted); white-space: nowrap; }
.confirm { border: 2px solid var(--approval); border-radius: 8px; padding: 12px; margin: 10px 0; background: #fffaeb; }
`;
