import { Type } from '@sinclair/typebox';
import { defineOutput } from '../../../src/plugin/define.js';
import { StringEnum } from '../../../src/plugin/schema.js';
import { formatLine } from './format.js';

/**
 * `console`: one line per event on stdout. `pretty` is for people (the demo's default);
 * `json` prints each envelope as one JSON line, for `jq` and scripts.
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
    return {
      deliver(envelope) {
        process.stdout.write((json ? JSON.stringify(envelope) : formatLine(envelope)) + '\n');
      },
    };
  },
});
