import {
  parseTemplate,
  fillTemplate,
  type Template,
  noticeText,
  recordView,
  type View,
  type ChatMessageRecord,
  TEST_LABEL,
} from '../../../src/index.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_MAX = 4096;

/** The built-in layout (Telegram HTML). Lines whose placeholders are all empty are left out. */
export const DEFAULT_TELEGRAM_TEMPLATE = [
  '🐋 <b>{amount}</b> whale · {status}',
  '{icon} <b>{outcome}</b>',
  '🏦 <b>{flow}</b>',
  '💸 {transferred}',
  '💵 {usd}',
  '⛽ {feeRate} · fee {fee} sats',
  '⏱ urgency <b>{urgency}</b> · {eta}',
  '🔁 {rbf}',
  '🔗 <a href="{link}">{shortTxid}</a>',
].join('\n');

const TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'tg-emoji',
  'code',
  'pre',
  'blockquote',
]);

/**
 * What Telegram's HTML parser would refuse in `html` (a tag it does not support, tags out of
 * balance, a bare `<`, `>` or `&`), or null. Telegram answers such a message with 400 "can't
 * parse entities", so a template that makes one is refused at start.
 */
export function telegramHtmlProblem(html: string): string | null {
  const stack: string[] = [];
  const token = /<\/?([a-zA-Z][a-zA-Z-]*)(\s[^<>]*)?>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]/g;
  for (const m of html.matchAll(token)) {
    const t = m[0];
    if (t.length === 1)
      return `has a bare "${t}": write ${t === '<' ? '&lt;' : t === '>' ? '&gt;' : '&amp;'} (Telegram HTML)`;
    if (t.startsWith('&')) continue;
    const name = m[1]!.toLowerCase();
    if (!TAGS.has(name))
      return `uses <${name}>, which Telegram HTML does not support (b, i, u, s, a, code, pre, blockquote, tg-spoiler)`;
    if (t.startsWith('</')) {
      if (stack.pop() !== name) return `has </${name}> without a matching <${name}>`;
    } else stack.push(name);
  }
  return stack.length > 0 ? `leaves <${stack[stack.length - 1]}> unclosed` : null;
}

/** Escape text for Telegram's HTML parse mode (and for attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** At most `max` characters, cut between code points. */
function shorten(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

const cap = (view: View, max: number, link: boolean): View =>
  Object.fromEntries(
    Object.entries(view).map(([k, v]) => [k, k === 'link' && !link ? v : shorten(v, max)]),
  ) as View;

/**
 * The HTML of a record's message, within {@link TELEGRAM_MAX} characters: over-long values
 * (entity labels) are shortened before they are escaped, so no entity or tag is ever cut; the
 * template itself is at most 3000 characters.
 */
export function createTelegramFormatter(template: Template | null): (record: ChatMessageRecord) => string {
  const layout = template ?? parseTemplate(DEFAULT_TELEGRAM_TEMPLATE);
  return (record) => {
    // A test alert (`spout test`) says so on its first line, whatever the template.
    const label = record.test ? `🧪 <b>${escapeHtml(TEST_LABEL)}</b>\n` : '';
    const max = TELEGRAM_MAX - label.length;
    return label + body(record, max);
  };

  function body(record: ChatMessageRecord, limit: number): string {
    const view = recordView(record);
    if (!view) {
      const { title, lines } = noticeText(record.notice!);
      for (const max of [Infinity, 1000, 200]) {
        const text = [
          `<b>${escapeHtml(shorten(title, max))}</b>`,
          ...lines.map((l) => escapeHtml(shorten(l, max))),
        ].join('\n');
        if (text.length <= limit) return text;
      }
      return `<b>${escapeHtml(shorten(title, 200))}</b>`;
    }
    for (const [max, link] of [
      [Infinity, false],
      [256, false],
      [64, false],
      [16, true],
      [1, true],
    ] as const) {
      const text = fillTemplate(layout, max === Infinity ? view : cap(view, max, link), escapeHtml);
      if (text.length <= limit) return text;
    }
    // Unreachable with a template of at most 3000 characters; never send markup cut in half.
    return escapeHtml(shorten(`${view.amount} whale ${view.status} ${view.link}`, 1000));
  }
}
