import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApprovalsPage } from './approvals-page.js';
import { DecisionsPage } from './decisions-page.js';
import { html } from './html.js';
import { PlaygroundPage } from './playground-page.js';
import { PolicyPage } from './policy-page.js';
import { ShadowPage } from './shadow-page.js';

const PAGES: Record<string, { title: string; view: () => unknown }> = {
  decisions: { title: 'Decisions', view: () => html`<${DecisionsPage} />` },
  approvals: { title: 'Approvals', view: () => html`<${ApprovalsPage} />` },
  policy: { title: 'Policy', view: () => html`<${PolicyPage} />` },
  shadow: { title: 'Shadow', view: () => html`<${ShadowPage} />` },
  playground: { title: 'Playground', view: () => html`<${PlaygroundPage} />` },
};

/** The page a hash names: `#/approvals` or a deep link into it, `#/approvals/<id>`. */
const current = () => {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0]!;
  return name in PAGES ? name : 'decisions';
};

function App() {
  const [page, setPage] = useState(current());
  useEffect(() => {
    const on = () => setPage(current());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    document.title = `${PAGES[page]!.title} · mcp-authz`;
  }, [page]);
  return html`
    <header>
      <h1>mcp-authz</h1>
      <nav>${Object.entries(PAGES).map(([k, p]) => html`<a href=${`#/${k}`} class=${k === page ? 'active' : ''}>${p.title}</a>`)}</nav>
    </header>
    <main>${PAGES[page]!.view()}</main>
  `;
}

render(html`<${App} />`, document.getElementById('app')!);
