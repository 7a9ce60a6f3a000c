import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';

/** The project's Markdown documents: README.md and every page in docs/. */
export const root = join(import.meta.dirname, '..', '..');
export const docPages = (): string[] => [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
export const readDoc = (rel: string): string => readFileSync(join(root, rel), 'utf8');

function walk(tokens: Token[], visit: (t: Token) => void): void {
  for (const t of tokens) {
    visit(t);
    const nested = t as Token & { tokens?: Token[]; items?: Token[]; header?: Tokens.TableCell[]; rows?: Tokens.TableCell[][] };
    if (nested.tokens) walk(nested.tokens, visit);
    if (nested.items) walk(nested.items, visit);
    if (nested.header) for (const c of nested.header) walk(c.tokens, visit);
    if (nested.rows) for (const r of nested.rows) for (const c of r) walk(c.tokens, visit);
  }
}

/** GitHub's anchors for a page's headings (duplicates get -1, -2, … as on GitHub). */
export function anchors(markdown: string): string[] {
  const slugger = new GithubSlugger();
  const out: string[] = [];
  for (const t of new Lexer().lex(markdown)) if (t.type === 'heading') out.push(slugger.slug((t as Tokens.Heading).text));
  return out;
}

/** Every link target in a page (code spans and blocks excluded, as Markdown renders them). */
export function links(markdown: string): string[] {
  const out: string[] = [];
  walk(new Lexer().lex(markdown), (t) => {
    if (t.type === 'link') out.push((t as Tokens.Link).href);
  });
  return out;
}

/** The rows of every table in a page whose first header cell is `firstHeader`, as arrays of raw cell text. */
export function tableRows(markdown: string, firstHeader: string): string[][] {
  const rows: string[][] = [];
  for (const t of new Lexer().lex(markdown)) {
    if (t.type !== 'table') continue;
    const table = t as Tokens.Table;
    if (table.header[0]?.text !== firstHeader) continue;
    for (const r of table.rows) rows.push(r.map((c) => c.text));
  }
  return rows;
}

/** The code spans in a cell: `a`, `b` → ['a', 'b']. */
export const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
