import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/bus/catalogue.js';
import { parseConfig } from '../helpers/builtins.js';
import { SUGGESTED_PRODUCERS, unreachableEvents } from '../../src/config/reachability.js';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const warnings = async (yaml: string) =>
  unreachableEvents((await parseConfig(yaml, 'config.yaml', FIXTURES, {})).instances, BUILTIN_PLUGINS).map(
    (w) => w.message,
  );

const LIVE = ['inputs:', '  feed: { use: mempool }', 'detectors:', '  whales: { use: whale }'];
const webhook = (extra = '') =>
  `  desk: { use: webhook, url: "https://example.com/hook", secret: ${SECRET}${extra} }`;

describe('events that can never arrive', () => {
  it('a webhook on its default events without the correlation job: the settlements, and the job to add', async () => {
    expect(await warnings([...LIVE, 'outputs:', webhook()].join('\n'))).toEqual([
      'outputs.desk: whale.confirmed, whale.replaced, whale.dropped never arrive: no configured plugin emits them; add the correlation job (jobs: { correlation: { use: correlation } })',
    ]);
  });

  it('nothing when every event is produced (the correlation job added)', async () => {
    expect(
      await warnings(
        [...LIVE, 'outputs:', webhook(), 'jobs:', '  correlation: { use: correlation }'].join('\n'),
      ),
    ).toEqual([]);
  });

  it('whale.updated (needs the urgency detector) is optional on defaults and for the api job, checked when named', async () => {
    const api = ['jobs:', '  api: { use: api }'];
    const auth = 'auth: { secret: "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz" }';
    expect(
      await warnings([auth, ...LIVE, 'outputs:', webhook(), ...api, '  c: { use: correlation }'].join('\n')),
    ).toEqual([]);
    expect(await warnings([...LIVE, 'outputs:', webhook(', events: [whale.updated]')].join('\n'))).toEqual([
      'outputs.desk: whale.updated never arrives: no configured plugin emits it; add the urgency detector (detectors: { urgency: { use: urgency } })',
    ]);
  });

  it('a disabled producer does not count, and the message says to enable it', async () => {
    expect(
      await warnings(
        [...LIVE, 'outputs:', webhook(), 'jobs:', '  settle: { use: correlation, enabled: false }'].join(
          '\n',
        ),
      ),
    ).toEqual([
      'outputs.desk: whale.confirmed, whale.replaced, whale.dropped never arrive: no configured plugin emits them; enable the correlation job (jobs.settle has enabled: false)',
    ]);
  });

  it('a family written in events: is satisfied by any of its types; an exact type is not', async () => {
    expect(
      await warnings(
        [
          ...LIVE,
          'outputs:',
          webhook(', events: ["whale.*"]'),
          `  exact: { use: webhook, url: "https://example.com/x", secret: ${SECRET}, events: [whale.detected, whale.dropped] }`,
          '  mail: { use: console, events: ["accuracy.*", input.status] }',
        ].join('\n'),
      ),
    ).toEqual([
      'outputs.exact: whale.dropped never arrives: no configured plugin emits it; add the correlation job (jobs: { correlation: { use: correlation } })',
      'outputs.mail: accuracy.* events never arrive: no configured plugin emits them; add the accuracy job (jobs: { accuracy: { use: accuracy } })',
    ]);
  });

  it('jobs: each event they consume; several plugins to add are all named', async () => {
    expect(
      await warnings(
        [
          'detectors:',
          '  urgency: { use: urgency }',
          'outputs:',
          '  term: { use: console }',
          'jobs:',
          '  correlation: { use: correlation }',
        ].join('\n'),
      ),
    ).toEqual([
      'outputs.term: input.status, whale.detected, accuracy.degraded, accuracy.recovered never arrive: no configured plugin emits them; add the mempool input (inputs: { mempool: { use: mempool } }), the whale detector (detectors: { whales: { use: whale } }) and the accuracy job (jobs: { accuracy: { use: accuracy } })',
      'jobs.correlation: whale.detected, block.connected, tx.replaced, tx.removed, tx.seen never arrive: no configured plugin emits them; add the whale detector (detectors: { whales: { use: whale } }) and the mempool input (inputs: { mempool: { use: mempool } })',
    ]);
  });

  it('an output on every event (*) is satisfied by anything, and told when nothing is produced', async () => {
    const recorder = '  rec: { use: ./plugins/recorder.mjs, file: /dev/null }';
    expect(await warnings(['inputs:', '  feed: { use: replay }', 'outputs:', recorder].join('\n'))).toEqual(
      [],
    );
    expect(await warnings(['outputs:', recorder].join('\n'))).toEqual([
      'outputs.rec: no event ever arrives: no configured plugin emits any; add the mempool input (inputs: { mempool: { use: mempool } })',
    ]);
  });

  it('a detector of one’s own counts as producing whale.detected (it may admit whales)', async () => {
    const instances = (
      await parseConfig(
        ['inputs:', '  feed: { use: mempool }', 'jobs:', '  correlation: { use: correlation }'].join('\n'),
        'config.yaml',
        FIXTURES,
        {},
      )
    ).instances;
    expect(unreachableEvents(instances, BUILTIN_PLUGINS).map((w) => w.events)).toEqual([['whale.detected']]);
    const own = {
      ...instances[0]!,
      section: 'detectors' as const,
      kind: 'detector' as const,
      name: 'mine',
      use: './my-detector.js',
      plugin: { kind: 'detector', name: 'mine', options: {}, setup: () => ({}) } as never,
    };
    expect(unreachableEvents([...instances, own], BUILTIN_PLUGINS)).toEqual([]);
  });

  it('suggests, for every event type, a built-in plugin that really emits it', async () => {
    for (const type of EVENT_TYPES) {
      const p = SUGGESTED_PRODUCERS[type];
      const plugin = (await BUILTIN_PLUGINS[p.kind][p.use]!()).default;
      // A detector that admits produces whale.detected through the kernel.
      const produced = [
        ...(plugin.emits ?? []),
        ...(plugin.kind === 'detector' && plugin.admits ? ['whale.detected'] : []),
      ];
      expect(produced, `${type} from ${p.use}`).toContain(type);
    }
  });
});
