import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { CLOCK_PLUGIN, createReplayClock } from '../../src/backtest/clock.js';
import { backtestPipeline } from '../../src/backtest/config.js';
import { parseConfig } from '../../src/config/load.js';

const load = (yaml: string) => parseConfig(yaml, 'prod.yaml', process.cwd(), {}, BUILTIN_PLUGINS);
const pipeline = async (yaml: string | null) =>
  backtestPipeline({
    user: yaml === null ? null : await load(yaml),
    catalogue: BUILTIN_PLUGINS,
    clock: createReplayClock(),
    cwd: process.cwd(),
  });
const names = (p: Awaited<ReturnType<typeof pipeline>>) =>
  p.config.instances.map((i) => `${i.kind}:${i.name}`);

describe('backtest pipeline', () => {
  it('without --config: the clock first, then whale, urgency, rbf and correlation; no HTTP', async () => {
    const p = await pipeline(null);
    expect(names(p)).toEqual([
      `detector:${CLOCK_PLUGIN}`,
      'detector:whales',
      'detector:urgency',
      'detector:rbf',
      'job:correlation',
    ]);
    expect(p.config.instances.find((i) => i.name === 'whales')?.options).toMatchObject({ thresholdBtc: 100 });
    expect(p.config.http.enabled).toBe(false);
    expect(p.notes).toEqual([]);
  });

  it('with --config: its enabled detectors in order and its correlation, nothing else', async () => {
    const p = await pipeline(
      [
        'http: { listen: "127.0.0.1:9" }',
        'kernel: { stopTimeout: 2s }',
        'inputs:',
        '  feed: { use: simulator }',
        'detectors:',
        '  rbf: { use: rbf }',
        '  big: { use: whale, thresholdBtc: 500 }',
        '  off: { use: urgency, enabled: false }',
        'jobs:',
        '  settle: { use: correlation, dropAfter: 24h }',
        '  accuracy: { use: accuracy }',
        'outputs:',
        '  out: { use: console }',
      ].join('\n'),
    );
    expect(names(p)).toEqual([`detector:${CLOCK_PLUGIN}`, 'detector:rbf', 'detector:big', 'job:settle']);
    expect(p.config.instances.find((i) => i.name === 'settle')?.options).toMatchObject({ dropAfter: '24h' });
    expect(p.config.kernel.stopTimeout).toBe('2s');
    expect(p.config.http.enabled).toBe(false);
    expect(p.notes).toEqual([]);
  });

  it('adds the default correlation when the file has none, and says when no detector admits whales', async () => {
    const p = await pipeline(
      'detectors:\n  urgency: { use: urgency }\njobs:\n  correlation: { use: accuracy }',
    );
    expect(names(p)).toEqual([`detector:${CLOCK_PLUGIN}`, 'detector:urgency', 'job:correlation-2']);
    expect(p.notes).toEqual([
      'prod.yaml has no enabled correlation job; whales are settled by a default one ("correlation-2: { use: correlation }")',
      'prod.yaml has no enabled detector that admits whales (such as whale): none will be detected',
    ]);
  });
});
