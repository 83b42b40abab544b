import { Type } from '@sinclair/typebox';
import { parseDuration } from '../../config/durations.js';
import { Duration } from '../../plugin/schema.js';
import { problemList } from '../../plugin/problems.js';
import { parseTemplate, type Template } from './template.js';

/** Delays before each retry of a failed post or edit: alerts are worth little hours late. */
export const DEFAULT_CHAT_RETRY = ['5s', '30s', '2m', '10m', '30m'] as const;

/** Options every chat output has. */
export const chatOptions = {
  template: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 3000,
      description:
        'The message text with {placeholders} (see docs/outputs.md); unset: the built-in layout. An unknown placeholder is a config error.',
    }),
  ),
  retry: Type.Array(Duration(), {
    default: [...DEFAULT_CHAT_RETRY],
    maxItems: 20,
    description: 'Delays before each retry of a failed post or edit; after the last it is given up.',
  }),
  timeout: Duration({ default: '30s', description: 'Time limit of one API request.' }),
};

/**
 * Parse the shared options; throws an option-located Error, or one carrying every problem found
 * in `errors` (see `problemList`).
 */
export function resolveChatOptions(options: {
  template?: string | undefined;
  retry: readonly string[];
  timeout: string;
}): { template: Template | null; scheduleMs: number[]; timeoutMs: number } {
  const problems = problemList();
  let template: Template | null = null;
  if (options.template !== undefined) {
    try {
      template = parseTemplate(options.template);
    } catch (error) {
      problems.add('template', (error as Error).message);
    }
  }
  const duration = (key: string, value: string) => {
    try {
      return parseDuration(value);
    } catch (error) {
      problems.add(key, `must be a duration: ${(error as Error).message}`);
      return NaN;
    }
  };
  const timeoutMs = duration('timeout', options.timeout);
  if (timeoutMs < 1000) problems.add('timeout', 'must be at least 1s');
  const scheduleMs = options.retry.map((d, i) => duration(`retry.${i}`, d));
  problems.throwIfAny();
  return { template, scheduleMs, timeoutMs };
}
