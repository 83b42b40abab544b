import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../../helpers/fake-mempool.js';
import { runYaml } from '../../helpers/run-yaml.js';

const yaml =
  'inputs:\n  feed: { use: replay }\noutputs:\n  screen: { use: console, format: json, events: [whale.confirmed] }\n';
const confirmed = (n: number) => ({
  txid: n.toString(16).padStart(64, '0'),
  height: 900_000,
  blocksWaited: 1,
  minutesWaited: 9,
  predictedBlocks: 1,
});
/** The txids of the whale lines in one write, in order. */
const txidsOf = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.includes('"whale.confirmed"'))
    .map((l) => (JSON.parse(l) as { data: { txid: string } }).data.txid);
const turn = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => void vi.restoreAllMocks());

describe('console output writes', () => {
  it('writes the lines of one turn of the event loop together, in order', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    const run = await runYaml(yaml);
    try {
      for (let i = 0; i < 20; i++) run.kernel.bus.publish('whale.confirmed', confirmed(i) as never, 'c');
      await waitFor(() => writes.some((w) => w.includes('whale.confirmed')), 5000, 'the lines');
      await turn();
      const whaleWrites = writes.filter((w) => w.includes('whale.confirmed'));
      expect(whaleWrites).toHaveLength(1);
      expect(txidsOf(whaleWrites[0] as string)).toEqual(
        Array.from({ length: 20 }, (_, i) => confirmed(i).txid),
      );
    } finally {
      await run.stop();
    }
  });

  it('holds later lines while stdout cannot take more, and writes them once it drains', async () => {
    const writes: string[] = [];
    let full = true;
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), !full));
    const run = await runYaml(yaml);
    try {
      for (let i = 0; i < 3; i++) run.kernel.bus.publish('whale.confirmed', confirmed(i) as never, 'c');
      await waitFor(() => writes.some((w) => w.includes('whale.confirmed')), 5000, 'the first lines');
      for (let i = 3; i < 6; i++) run.kernel.bus.publish('whale.confirmed', confirmed(i) as never, 'c');
      for (let i = 0; i < 5; i++) await turn();
      expect(writes.filter((w) => w.includes('whale.confirmed'))).toHaveLength(1);
      full = false;
      process.stdout.emit('drain');
      await waitFor(() => writes.filter((w) => w.includes('whale.confirmed')).length === 2, 5000, 'the rest');
      expect(writes.flatMap(txidsOf)).toEqual(Array.from({ length: 6 }, (_, i) => confirmed(i).txid));
    } finally {
      await run.stop();
    }
  });

  it('writes what is still waiting when it stops', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (writes.push(String(chunk)), true));
    const run = await runYaml(yaml);
    run.kernel.bus.publish('whale.confirmed', confirmed(1) as never, 'c');
    await run.stop();
    expect(writes.flatMap(txidsOf)).toEqual([confirmed(1).txid]);
  });
});
