/**
 * Rows as text columns, each as wide as its widest cell and two spaces apart, so no value runs into the next; the
 * last column is left as it is (an id or a path, whole). One line per row, header first, no trailing spaces.
 */
export function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => c[i]!.length)));
  return [header, ...rows].map((c) =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]! + 2)))
      .join('')
      .trimEnd(),
  );
}
