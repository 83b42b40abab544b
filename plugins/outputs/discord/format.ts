import { embedLength, escapeMarkdown, type APIEmbed, type APIEmbedField } from 'discord.js';
import {
  fillTemplate,
  parseTemplate,
  type Template,
  type ChatMessageRecord,
  noticeText,
  recordView,
  type Placeholder,
  type View,
  TEST_LABEL,
} from '../../../src/index.js';

/** Discord's embed limits (discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

/** The built-in description (Markdown); the title and fields carry the rest. */
export const DEFAULT_DISCORD_TEMPLATE = ['{icon} **{outcome}**', '[{shortTxid}]({link})'].join('\n');

/** Colour by urgency while pending; by outcome once settled. */
const COLOURS = {
  low: 0x3498db,
  medium: 0xf1c40f,
  high: 0xe67e22,
  critical: 0xe74c3c,
  none: 0x95a5a6,
  confirmed: 0x2ecc71,
  replaced: 0x9b59b6,
  dropped: 0x7f8c8d,
} as const;

/** At most `max` UTF-16 units, cut between code points (never inside an emoji's pair). */
const cut = (text: string, max: number) => {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
};

/** Every Markdown construct escaped, masked links and headings included (labels are untrusted). */
const md = (value: string) => escapeMarkdown(value, { maskedLink: true, heading: true, bulletedList: true });

/** Markdown-escape a value; a link only has what would end the Markdown link encoded. */
const escape = (value: string, name: Placeholder) =>
  name === 'link'
    ? value.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
    : md(value);

/**
 * Shorten an embed until it meets every Discord limit: each part to its own limit, then the
 * description and field values (longest first) until the total is at most 6000 characters.
 */
export function fitEmbed(embed: APIEmbed): APIEmbed {
  const fitted: APIEmbed = {
    ...embed,
    ...(embed.title !== undefined ? { title: cut(embed.title, LIMITS.title) } : {}),
    ...(embed.description !== undefined ? { description: cut(embed.description, LIMITS.description) } : {}),
    ...(embed.footer ? { footer: { ...embed.footer, text: cut(embed.footer.text, LIMITS.footer) } } : {}),
    fields: (embed.fields ?? []).slice(0, LIMITS.fields).map((f) => ({
      ...f,
      name: cut(f.name, LIMITS.fieldName),
      value: cut(f.value, LIMITS.fieldValue),
    })),
  };
  // Over the total: shorten the longest part by the excess, until it fits.
  const parts = (): Array<{ get: () => string; set: (v: string) => void }> => [
    { get: () => fitted.title ?? '', set: (v) => (fitted.title = v) },
    { get: () => fitted.description ?? '', set: (v) => (fitted.description = v) },
    { get: () => fitted.footer?.text ?? '', set: (v) => (fitted.footer = { ...fitted.footer, text: v }) },
    ...fitted.fields!.flatMap((f) => [
      { get: () => f.name, set: (v: string) => (f.name = v) },
      { get: () => f.value, set: (v: string) => (f.value = v) },
    ]),
  ];
  for (let over = embedLength(fitted) - LIMITS.total; over > 0; over = embedLength(fitted) - LIMITS.total) {
    const longest = parts().sort((a, b) => b.get().length - a.get().length)[0]!;
    const text = longest.get();
    if (text.length <= 1) break;
    longest.set(cut(text, Math.max(1, text.length - over)));
  }
  return fitted;
}

function fields(view: View): APIEmbedField[] {
  const rows: Array<[string, string]> = [
    ['Flow', view.flow],
    ['Amount', view.amount],
    ['Transferred', view.transferred],
    ['Value', view.usd],
    ['Fee rate', view.feeRate],
    ['Urgency', view.urgency && `${view.urgency} (${view.predictedBlocks})`],
    ['ETA', view.eta],
    ['RBF', view.rbf],
    ['Status', view.status],
  ];
  return rows.filter(([, v]) => v).map(([name, value]) => ({ name, value: md(value), inline: true }));
}

/** The embed of a record's message, within every Discord limit. */
export function createDiscordFormatter(template: Template | null): (record: ChatMessageRecord) => APIEmbed {
  const layout = template ?? parseTemplate(DEFAULT_DISCORD_TEMPLATE);
  return (record) => {
    // A test alert (`spout test`) says so on the first line of its description.
    const label = record.test ? `🧪 **${md(TEST_LABEL)}**\n` : '';
    const view = recordView(record);
    if (!view) {
      const { title, lines } = noticeText(record.notice!);
      return fitEmbed({
        title,
        description: label + lines.map(md).join('\n'),
        color: record.notice!.type === 'accuracy.degraded' ? COLOURS.high : COLOURS.none,
        timestamp: record.notice!.time,
        fields: [],
      });
    }
    const outcome = record.outcome?.status;
    const colour = outcome ? COLOURS[outcome] : COLOURS[(view.urgency || 'none') as keyof typeof COLOURS];
    const description = label + fillTemplate(layout, view, escape);
    return fitEmbed({
      title: `🐋 ${view.amount} whale · ${view.status}`,
      url: view.link,
      color: colour,
      ...(description ? { description } : {}),
      fields: fields(view),
      timestamp: record.signal!.detectedAt,
      footer: { text: `Spout · ${view.txid}` },
    });
  };
}
