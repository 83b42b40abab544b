import { once } from 'node:events';
import { Type } from '@sinclair/typebox';
import { defineOutput, StringEnum, type AnyEnvelope } from '../../../src/index.js';
import { formatLine } from './format.js';

/**
 * `console`: one line per event on stdout. `pretty` is for people (the demo's default);
 * `json` prints each envelope as one JSON line, for `jq` and scripts.
 *
 * A reader that goes away (`spout run | head -3`: EPIPE) makes this instance unhealthy and
 * silent; the rest of Spout keeps running. A slow reader is waited for, not buffered without
 * bound. Lines are written together once per turn of the event loop, in delivery order.
 */
export default defineOutput({
  name: 'console',
  description: 'Prints each routed event on stdout: a readable line, or one JSON envelope per line.',
  options: Type.Object({
    format: StringEnum(['pretty', 'json'], {
      default: 'pretty',
      description: 'pretty: a readable line; json: the envelope.',
    }),
  }),
  defaultEvents: ['whale.*', 'accuracy.*', 'input.status'],
  setup(ctx) {
    const json = ctx.options.format === 'json';
    const out = process.stdout;
    let closed = false;
    const onError = (error: NodeJS.ErrnoException) => {
      if (closed) return;
      closed = true;
      const reason =
        error.code === 'EPIPE'
          ? 'stdout was closed by its reader (EPIPE)'
          : `stdout failed: ${error.message}`;
      ctx.health.set('unhealthy', reason);
      ctx.log.warn(`${reason}; this output stops writing, the rest keeps running`);
    };
    out.on('error', onError);
    // Lines are written once per turn of the event loop, all together: a frame's whales and
    // settlements are one write instead of one each (stdout on a pipe or file is written
    // synchronously, a system call per write: the pipeline benchmark measured those at 3.5% of
    // Spout's CPU). A write the stream cannot take at once holds later deliveries until drained.
    let lines: string[] = [];
    let scheduled: NodeJS.Immediate | null = null;
    let drained: Promise<void> | null = null;
    const writeLines = () => {
      scheduled = null;
      if (closed || lines.length === 0) return;
      const text = lines.join('');
      lines = [];
      if (out.write(text)) return;
      // An error ends the wait as well (onError has made this output silent by then).
      const clear = () => void (drained = null);
      drained = Promise.race([once(out, 'drain'), once(out, 'error')]).then(clear, clear);
    };
    ctx.onStop(() => {
      if (scheduled) clearImmediate(scheduled);
      writeLines();
      out.off('error', onError);
    });
    const add = (envelope: AnyEnvelope) => {
      if (closed) return;
      lines.push((json ? JSON.stringify(envelope) : formatLine(envelope)) + '\n');
      scheduled ??= setImmediate(writeLines);
    };
    return {
      deliver: (envelope) => (drained ? drained.then(() => add(envelope)) : add(envelope)),
    };
  },
});
