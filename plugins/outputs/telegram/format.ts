import { parseTemplate, fillTemplate, type Template } from '../chat/template.js';
import { noticeText, recordView, type View } from '../chat/view.js';
import type { ChatMessageRecord } from '../chat/record.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_MAX = 4096;

/** The built-in layout (Telegram HTML). Lines whose placeholders are all empty are left out. */
export const DEFAULT_TELEGRAM_TEMPLATE = [
  '🐋 <b>{amount}</b> whale · {status}',
  '{icon} <b>{outcome}</b>',
  '💵 {usd}',
  '⛽ {feeRate} · fee {fee} sats',
  '⏱ urgency <b>{urgency}</b>, {predictedBlocks}',
  '🔁 {rbf}',
  '🏦 {flow}',
  '🔗 <a href="{link}">{shortTxid}</a>',
].join('\n');

/** Escape text for Telegram's HTML parse mode (and for attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const cap = (view: View, max: number): View =>
  Object.fromEntries(
    Object.entries(view).map(([k, v]) => [
      k,
      k === 'link' || v.length <= max ? v : `${v.slice(0, max - 1)}…`,
    ]),
  ) as View;

/**
 * The HTML of a record's message, within {@link TELEGRAM_MAX} characters: over-long values
 * (entity labels) are shortened first; the template itself is at most 3000 characters.
 */
export function createTelegramFormatter(template: Template | null): (record: ChatMessageRecord) => string {
  const layout = template ?? parseTemplate(DEFAULT_TELEGRAM_TEMPLATE);
  return (record) => {
    const view = recordView(record);
    if (!view) {
      const { title, lines } = noticeText(record.notice!);
      const text = [`<b>${escapeHtml(title)}</b>`, ...lines.map(escapeHtml)].join('\n');
      return text.length <= TELEGRAM_MAX ? text : `${text.slice(0, TELEGRAM_MAX - 1)}…`;
    }
    for (const max of [Infinity, 256, 64, 16]) {
      const text = fillTemplate(layout, max === Infinity ? view : cap(view, max), escapeHtml);
      if (text.length <= TELEGRAM_MAX) return text;
    }
    return fillTemplate(layout, cap(view, 1), escapeHtml).slice(0, TELEGRAM_MAX);
  };
}
