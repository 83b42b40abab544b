/** One cell of a mail: text, optionally a link. */
export interface Cell {
  text: string;
  href?: string;
}

/** A table of a mail (a digest's whales); `head` are the column titles. */
export interface Table {
  title: string;
  head: string[];
  rows: Cell[][];
  /** A line under the table ("and 12 more"). */
  more?: string;
}

/** What a mail says, before it is laid out as text and HTML. */
export interface MailContent {
  subject: string;
  /** The opening sentence: what happened. */
  lead: string;
  /** Label and value pairs under the lead. */
  facts: Array<[label: string, value: Cell | string]>;
  tables?: Table[];
  /** What the figures mean, in a smaller print. */
  note?: string;
  /** Who sent it and why, at the bottom. */
  footer: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Only http(s) links become anchors: event data must not smuggle a `javascript:` URL in. */
const safeHref = (href: string | undefined): string | null =>
  href && /^https?:\/\//i.test(href) ? href : null;

const cellOf = (value: Cell | string): Cell => (typeof value === 'string' ? { text: value } : value);

function cellHtml(cell: Cell): string {
  const href = safeHref(cell.href);
  const text = escapeHtml(cell.text);
  return href ? `<a href="${escapeHtml(href)}" style="color:#1a5fb4">${text}</a>` : text;
}

const cellText = (cell: Cell): string =>
  cell.href && cell.href !== cell.text ? `${cell.text} <${cell.href}>` : cell.text;

/** The plain-text body: the lead, aligned facts, tables as indented lines, note and footer. */
export function toText(content: MailContent): string {
  const width = Math.max(0, ...content.facts.map(([label]) => label.length)) + 2;
  const lines = [content.lead, ''];
  for (const [label, value] of content.facts)
    lines.push(`${`${label}:`.padEnd(width)}${cellText(cellOf(value))}`);
  for (const table of content.tables ?? []) {
    lines.push('', `${table.title}:`);
    for (const row of table.rows) lines.push(`  - ${row.map(cellText).filter(Boolean).join('  ')}`);
    if (table.more) lines.push(`  ${table.more}`);
  }
  if (content.note) lines.push('', content.note);
  lines.push('', '-- ', content.footer);
  return lines.join('\n').replace(/\n{3,}/g, '\n\n') + '\n';
}

/** The HTML body: the same content, every value escaped, inline styles only (mail clients drop the rest). */
export function toHtml(content: MailContent): string {
  const td = 'padding:4px 12px 4px 0;vertical-align:top';
  const facts = content.facts
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="${td};color:#555;font-weight:normal">${escapeHtml(label)}</th><td style="${td}">${cellHtml(cellOf(value))}</td></tr>`,
    )
    .join('\n');
  const tables = (content.tables ?? [])
    .map((t) =>
      [
        `<h3 style="font-size:15px;margin:20px 0 6px">${escapeHtml(t.title)}</h3>`,
        '<table cellspacing="0" cellpadding="0" style="border-collapse:collapse;font-size:14px">',
        `<tr>${t.head.map((h) => `<th align="left" style="${td};border-bottom:1px solid #ccc">${escapeHtml(h)}</th>`).join('')}</tr>`,
        ...t.rows.map(
          (row) => `<tr>${row.map((c) => `<td style="${td}">${cellHtml(c)}</td>`).join('')}</tr>`,
        ),
        '</table>',
        t.more ? `<p style="color:#555">${escapeHtml(t.more)}</p>` : '',
      ].join('\n'),
    )
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222">',
    `<p style="font-size:16px">${escapeHtml(content.lead)}</p>`,
    facts
      ? `<table cellspacing="0" cellpadding="0" style="border-collapse:collapse">\n${facts}\n</table>`
      : '',
    tables,
    content.note ? `<p style="color:#555;font-size:12px">${escapeHtml(content.note)}</p>` : '',
    `<hr style="border:0;border-top:1px solid #ddd"><p style="color:#777;font-size:12px">${escapeHtml(content.footer)}</p>`,
    '</body></html>',
  ]
    .filter(Boolean)
    .join('\n');
}
