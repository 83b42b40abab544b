import { TEST_LABEL } from '../delivery/test-marker.js';
import { parseDuration } from '../config/durations.js';
import type { InstanceConfig } from '../config/types.js';
import { eventMatcher } from '../kernel/routing.js';
import { createRedactor } from '../log/redact.js';
import type { OutputDefinition } from '../plugin/types.js';
import { COLLECTIONS } from '../store/records.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';
import { CHAT } from './test-send/chat.js';
import { closest } from './test-send/closest.js';
import { persistTestRecords } from './test-send/persist.js';
import { send } from './test-send/send.js';
import { secretsOf, webhookNotes } from './test-send/webhook.js';
import { sampleEnvelopes, TEST_EVENTS, type TestEnvelope, type TestEvent } from './test-sample.js';

export { closest } from './test-send/closest.js';

const USAGE = `spout test OUTPUT [--event ${TEST_EVENTS.join('|')}] [--json]`;
/** How long past the output's own `timeout` (default 30 s) the command waits for the outcome. */
const MARGIN_MS = 30_000;

/** The flags of {@link testCommand}. */
export interface TestFlags {
  config?: string;
  /** The sample to send (default: the first of {@link TEST_EVENTS} the output takes). */
  event?: string;
  json?: boolean;
}

/** For tests: how long to wait for the outcome in all (default: the output's timeout + 30 s). */
export interface TestOptions {
  waitMs?: number;
}

/**
 * `spout test OUTPUT [--event whale.detected|whale.confirmed|accuracy.degraded] [--json]`: send
 * one marked sample event (`test: true`, txid `000…test`, labels "TEST — sample alert from spout
 * test") through one configured output instance and print the outcome. Exit 0 when it was
 * delivered, 1 when it failed (why, and what to fix), 2 for a usage error (an unknown output or
 * event, an output that cannot be tested from here).
 *
 * The instance is set up alone through the kernel, from the configuration as `spout run` would,
 * and the sample goes through its own delivery path (routing, outbox or chat worker, signing,
 * transport), with these differences: the output's `filter:` is not applied, one attempt is made
 * (no retries), and HTTP is off (no port is taken). It runs on a memory store, so nothing of a
 * running `spout run` is touched and no statistics can be (no prediction, no outcome: no job
 * runs). Afterwards the test delivery's records (outbox and delivery log, or chat message),
 * marked `test: true`, are written to the store file so `spout deliveries list` shows them —
 * unless a running `spout run` owns the store (lowdb is single-process): then they are not
 * written, and the command says so.
 *
 * A `websocket` output cannot be tested from here: its clients are connected to the running
 * process (exit 2, with what to do instead).
 */
export async function testCommand(
  args: string[],
  flags: TestFlags,
  cli: CliEnv,
  options: TestOptions = {},
): Promise<number> {
  let scrub = (text: string) => text;
  const usage = (problem: string) => (
    cli.io.err(scrub(`spout test: ${problem} (SPOUT_CLI_USAGE)\nUsage: ${USAGE}\n`)),
    2
  );
  if (flags.event !== undefined && !(TEST_EVENTS as readonly string[]).includes(flags.event))
    return usage(`--event must be one of ${TEST_EVENTS.join(', ')} (got "${flags.event}")`);
  if (args.length > 1) return usage(`give one output name (got ${args.length}: ${args.join(' ')})`);
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  scrub = createRedactor(config.secrets, config.strictSecrets);

  const outputs = config.instances.filter((i) => i.section === 'outputs');
  const listed = () =>
    outputs.length === 0
      ? `${config.file} has no outputs`
      : `configured outputs: ${outputs.map((o) => `${o.name} (${o.use}${o.enabled ? '' : ', disabled'})`).join(', ')}`;
  const [name] = args;
  if (name === undefined) return usage(`which output? ${listed()}`);
  const instance = outputs.find((o) => o.name === name);
  if (!instance) {
    const other = config.instances.find((i) => i.name === name);
    if (other) return usage(`"${name}" is under ${other.section}:, not outputs:; ${listed()}`);
    const guess = closest(
      name,
      outputs.map((o) => o.name),
    );
    return usage(
      `no output "${name}" in ${config.file}; ${listed()}${guess ? `; did you mean "${guess}"?` : ''}`,
    );
  }
  const where = `outputs.${name}`;
  if (!instance.enabled || !instance.plugin)
    return usage(
      `${where} is disabled (enabled: false); enable it (and reload a running spout) before testing it`,
    );
  if (instance.use === 'websocket')
    return usage(
      `${where} is a websocket output: it delivers to the clients connected to the running spout, and this command runs apart from it with no clients. Connect a client (docs/websocket.md) to the running spout to see its events; the other outputs can be tested with spout test`,
    );
  const plugin = instance.plugin as OutputDefinition;
  const patterns = instance.events ?? plugin.defaultEvents;
  const routes = eventMatcher(patterns);
  const event = (flags.event as TestEvent | undefined) ?? TEST_EVENTS.find((t) => routes(t));
  const shown = `its events: ${patterns.join(', ')}${instance.events ? '' : ' (the default)'}`;
  if (event === undefined)
    return usage(
      `${where} takes none of the sample events ${TEST_EVENTS.join(', ')} (${shown}); a test sends one of them`,
    );
  if (!routes(event))
    return usage(
      `${where} does not take ${event} (${shown}), so spout never sends it there; choose --event from ${
        TEST_EVENTS.filter((t) => routes(t)).join(', ') || 'none: it takes none of the sample events'
      }`,
    );
  const chat = CHAT.has(instance.use);
  if (chat && event === 'whale.confirmed' && !routes('whale.detected'))
    return usage(
      `${where} does not take whale.detected (${shown}): a chat output shows a confirmation by editing the whale's message, so it never shows one`,
    );

  const envelopes = sampleEnvelopes(event, new Date(), chat);
  const main = envelopes[envelopes.length - 1] as TestEnvelope;
  const waitMs = options.waitMs ?? timeoutOf(instance) + MARGIN_MS;
  const outcome = await send(config, instance, envelopes, waitMs);
  if (typeof outcome === 'string') {
    cli.io.err(scrub(`spout test: ${outcome}\n`));
    return 1;
  }
  const recorded = outcome.records.length > 0 ? await persistTestRecords(config, outcome.records) : null;

  if (flags.json) {
    cli.io.out(
      scrub(
        JSON.stringify(
          {
            output: name,
            use: instance.use,
            event,
            eventId: main.id,
            test: true,
            delivered: outcome.delivered,
            answer: outcome.answer,
            latencyMs: outcome.latencyMs,
            ...(outcome.statusCode !== undefined ? { statusCode: outcome.statusCode } : {}),
            ...(outcome.error !== undefined ? { error: outcome.error } : {}),
            ...(outcome.fix !== undefined ? { fix: outcome.fix } : {}),
            ...(instance.use === 'webhook' ? { webhookId: main.id, signatures: secretsOf(instance) } : {}),
            recorded: recorded ?? { in: null, why: 'this output keeps no delivery records' },
          },
          null,
          2,
        ) + '\n',
      ),
    );
    return outcome.delivered ? 0 : 1;
  }

  const lines = [
    `spout test: ${where} (${instance.use}) ← ${event} ${main.id} [${TEST_LABEL}]`,
    `${outcome.delivered ? 'delivered in' : 'FAILED after'} ${Math.round(outcome.latencyMs)} ms: ${outcome.answer}`,
  ];
  if (outcome.delivered && instance.use === 'webhook') lines.push(...webhookNotes(instance, main.id));
  if (!outcome.delivered && outcome.fix) lines.push(`fix: ${outcome.fix}`);
  if (recorded?.in)
    lines.push(
      `recorded as a test delivery in ${recorded.in}${outcome.records.some(([c]) => c === COLLECTIONS.outbox) ? ' (spout deliveries list marks it [test])' : ''}`,
    );
  else if (recorded) lines.push(`not recorded: ${recorded.why}`);
  const text = scrub(lines.join('\n') + '\n');
  if (outcome.delivered) cli.io.out(text);
  else cli.io.err(text);
  return outcome.delivered ? 0 : 1;
}

/** The instance's `timeout` option in ms (30 s when it has none). */
function timeoutOf(instance: InstanceConfig): number {
  try {
    const t = instance.options.timeout;
    return typeof t === 'string' || typeof t === 'number' ? parseDuration(t) : 30_000;
  } catch {
    return 30_000;
  }
}
