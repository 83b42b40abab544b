import { readFile } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { type EventMap, type EventType, EVENT_TYPES, defineInput, StringEnum } from '../../../src/index.js';

const Item = Type.Object(
  { type: StringEnum(EVENT_TYPES), data: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: false },
);
type ReplayItem = { type: EventType; data: EventMap[EventType] };

/**
 * `replay`: publishes a fixed list of events, given inline (`items:`) or as a file of JSON
 * lines (`file:`), then stays idle until stopped. For tests, demos and reproducing incidents.
 */
export default defineInput({
  name: 'replay',
  description: 'Publishes recorded events (inline items or a JSON-lines file) once, in order.',
  options: Type.Object({
    items: Type.Optional(Type.Array(Item, { description: 'Events to publish: [{ type, data }].' })),
    file: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'JSON-lines file of { type, data }, relative to the config file.',
      }),
    ),
    intervalMs: Type.Integer({ minimum: 0, default: 0, description: 'Pause between two events.' }),
    delayMs: Type.Integer({ minimum: 0, default: 0, description: 'Pause before the first event.' }),
  }),
  emits: [...EVENT_TYPES],
  async setup(ctx) {
    const items: ReplayItem[] = [...((ctx.options.items ?? []) as ReplayItem[])];
    if (ctx.options.file) items.push(...(await readLines(ctx.resolve(ctx.options.file))));
    ctx.onStop(() => ctx.log.debug('replay stopped'));
    return { start: () => play(items) };

    function play(items: ReplayItem[]): void {
      const pause = (ms: number) =>
        ms === 0
          ? Promise.resolve()
          : new Promise<void>((r) => {
              // The listener goes with its pause: one per pause would pile up on the signal.
              const done = () => {
                clearTimeout(t);
                ctx.signal.removeEventListener('abort', done);
                r();
              };
              const t = setTimeout(done, ms);
              ctx.signal.addEventListener('abort', done, { once: true });
            });
      void (async () => {
        await pause(ctx.options.delayMs);
        for (const [i, item] of items.entries()) {
          if (ctx.signal.aborted) return;
          if (i > 0) await pause(ctx.options.intervalMs);
          if (ctx.signal.aborted) return;
          ctx.bus.publish(item.type, item.data);
        }
        ctx.log.info({ count: items.length }, 'replay finished');
      })();
    }
  },
});

async function readLines(path: string): Promise<ReplayItem[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((line, n) => [line.trim(), n + 1] as const)
    .filter(([line]) => line !== '' && !line.startsWith('#'))
    .map(([line, n]) => {
      let item: ReplayItem;
      try {
        item = JSON.parse(line) as ReplayItem;
      } catch (error) {
        throw new Error(`${path}:${n}: not JSON (${(error as Error).message})`);
      }
      if (!EVENT_TYPES.includes(item.type))
        throw new Error(`${path}:${n}: unknown event type "${String(item.type)}"`);
      return item;
    });
}
