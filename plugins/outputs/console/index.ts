import { once } from 'node:events';
import { Type } from '@sinclair/typebox';
import { defineOutput, StringEnum } from '../../../src/index.js';
import { formatLine } from './format.js';

/**
 * `console`: one line per event on stdout. `pretty` is for people (the demo's default);
 * `json` prints each envelope as one JSON line, for `jq` and scripts.
 *
 * A reader that goes away (`spout run | head -3`: EPIPE) makes this instance unhealthy and
 * silent; the rest of Spout keeps running. A slow reader is waited for, not buffered without
 * bound.
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
    ctx.onStop(() => void out.off('error', onError));
    return {
      async deliver(envelope) {
        if (closed) return;
        if (!out.write((json ? JSON.stringify(envelope) : formatLine(envelope)) + '\n')) {
          await Promise.race([once(out, 'drain'), once(out, 'error')]);
        }
      },
    };
  },
});
