/**
 * Issue 19, acceptance: the same configuration with `use: bitcoind` instead of `use: mempool`
 * drives every output unchanged. The built CLI runs one pipeline (whale and urgency detectors,
 * correlation job, console and Standard-Webhooks outputs) once on the fake mempool.space server
 * and once on the fake Bitcoin Core, both fed the three real whales of mainnet block 277647 and
 * then that block. The receiver verifies every webhook with `standardwebhooks`; both runs must
 * deliver the same events for the same whales with the same values, and print the same lines.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Block } from 'bitcoinjs-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { start, type Running } from '../helpers/cli.js';
import { BLOCK_277647_HEX, startFakeCore } from '../helpers/fake-core.js';
import { isTrackMempool, startFakeMempool } from '../helpers/fake-mempool.js';
import { hasFixtures, loadBlock277647, loadBlock277647Header, loadInitPayload } from '../helpers/fixtures.js';
import { newSecret, startReceiver, turns, type Receiver } from '../helpers/receiver.js';

const WHALES = ['d3852055', '5143ba55', '712db987'];
const HASH = '0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** Everything but the input: what an operator keeps when switching to their own node. */
const PIPELINE = [
  'detectors:',
  '  whales: { use: whale, thresholdBtc: 100 }',
  '  urgency: { use: urgency }',
  'outputs:',
  '  screen: { use: console }',
  '  hook: { use: webhook, url: "${HOOK_URL}", secret: "${HOOK_SECRET}" }',
  'jobs:',
  '  correlation: { use: correlation }',
];

interface Delivered {
  type: string;
  txid: string;
  valueSats?: number;
  height?: number;
}

/** Run the built CLI on `input` (YAML lines under `inputs:`) until `feed` has made 3 whales confirm. */
async function runPipeline(input: string[], feed: (p: Running) => Promise<void>) {
  const secret = newSecret();
  const rx: Receiver = await startReceiver(secret);
  cleanups.push(() => rx.close());
  const dir = await mkdtemp(join(tmpdir(), 'spout-bitcoind-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const yaml = [
    'log: { level: info }',
    'http: { enabled: false }',
    'storage: { path: ./spout.json }',
    'inputs:',
    ...input,
    ...PIPELINE,
  ];
  await writeFile(join(dir, 'config.yaml'), yaml.join('\n'));
  const p = start(['run'], { cwd: dir, env: { HOOK_URL: rx.url, HOOK_SECRET: secret } });
  cleanups.push(() => p.child.kill('SIGKILL'));
  await feed(p);
  const body = (i: number) =>
    JSON.parse(rx.requests[i]!.body) as { type: string; data: Record<string, unknown> };
  const whaleEvents = () => rx.requests.filter((_, i) => body(i).type.startsWith('whale.'));
  await turns(
    () => whaleEvents().filter((r) => JSON.parse(r.body).type === 'whale.confirmed').length === 3,
    'three confirmations',
    20_000,
  );
  // The console writes its lines once per turn of Spout's event loop: they may reach this process
  // after the webhooks.
  await turns(
    () => (p.stdout().match(/CONFIRMED/g) ?? []).length === 3,
    'three confirmations printed',
    20_000,
  );
  expect(rx.requests.every((r) => r.verified)).toBe(true);
  const delivered: Delivered[] = whaleEvents().map((r) => {
    const { type, data } = JSON.parse(r.body) as { type: string; data: Record<string, number & string> };
    return {
      type,
      txid: String(data.txid).slice(0, 8),
      ...(type === 'whale.detected' ? { valueSats: data.valueSats } : {}),
      ...(type === 'whale.confirmed' ? { height: data.height } : {}),
    };
  });
  const lines = p
    .stdout()
    .split('\n')
    .filter((l) => /WHALE|CONFIRMED/.test(l))
    // The time, the wait and the ETA depend on each input's mempool (the server's real mainnet
    // projected blocks, or the fake node's three transactions), not on the input.
    .map((l) =>
      l
        .replace(/^\d\d:\d\d:\d\d /, '')
        .replace(/ after .*$/, '')
        .replace(/ {2}urgency .*$/, ''),
    );
  const etas = p
    .stdout()
    .split('\n')
    .filter((l) => /WHALE .* urgency \w+, .*\((\d|–)+ (min|h)\)/.test(l)).length;
  p.child.kill('SIGTERM');
  await p.exited;
  return {
    delivered: delivered.sort((a, b) => `${a.type}${a.txid}`.localeCompare(`${b.type}${b.txid}`)),
    lines: lines.sort(),
    etas,
  };
}

describe.skipIf(!hasFixtures)(
  'the same pipeline on mempool.space and on one’s own Bitcoin Core (built CLI)',
  () => {
    it(
      'delivers the same webhooks and prints the same lines for the real whales of block 277647',
      { timeout: 60_000 },
      async () => {
        // On mempool.space.
        const mempool = await startFakeMempool();
        cleanups.push(() => mempool.close());
        const esplora = loadBlock277647();
        const header = loadBlock277647Header();
        const viaMempool = await runPipeline(
          [`  feed: { use: mempool, url: "${mempool.url}" }`],
          async () => {
            await mempool.waitForMessage(isTrackMempool());
            mempool.pushMempool({ added: esplora.filter((t) => WHALES.includes(t.txid.slice(0, 8))) });
            mempool.pushBlock(
              { id: HASH, height: 277_647, timestamp: header.timestamp },
              esplora.map((t) => t.txid),
            );
          },
        );

        // On Bitcoin Core, with the same transactions (their real bytes) and the same block.
        const core = await startFakeCore();
        cleanups.push(() => core.close());
        const raw = Block.fromHex(readFileSync(BLOCK_277647_HEX, 'utf8').trim());
        const viaCore = await runPipeline(
          [
            `  feed: { use: bitcoind, rpcUrl: "${core.rpcUrl}", cookieFile: "${core.cookieFile}", zmq: "${core.zmqUrl}",`,
            // The price mempool.space sent in its init frame (the node has none).
            `          price: { usd: ${(loadInitPayload().conversions as { USD: number }).USD} } }`,
          ],
          async (p) => {
            await core.waitForSubscriber(['rawtx', 'sequence', 'rawblock']);
            await p.waitFor(/loaded 0 mempool transaction/);
            for (const tx of raw.transactions!.filter((t) => WHALES.includes(t.getId().slice(0, 8))))
              await core.addTx(tx, { fee: esplora.find((e) => e.txid === tx.getId())!.fee });
            await turns(() => p.stdout().split('WHALE').length === 4, 'three whales printed', 20_000);
            await core.connectBlock(raw);
          },
        );

        expect(viaCore.delivered).toEqual(viaMempool.delivered);
        expect(viaCore.delivered.filter((d) => d.type === 'whale.detected')).toHaveLength(3);
        expect(
          viaCore.delivered.filter((d) => d.type === 'whale.confirmed').every((d) => d.height === 277_647),
        ).toBe(true);
        expect(viaCore.lines).toEqual(viaMempool.lines);
        expect(viaCore.lines.filter((l) => l.startsWith('WHALE'))).toHaveLength(3);
        expect(viaCore.lines).toContain('WHALE 927.00 BTC ($64,778,760)  5143ba55…7dcd  fee 0.0 sat/vB');
        expect([viaMempool.etas, viaCore.etas]).toEqual([3, 3]); // an ETA from each input's projected blocks
      },
    );
  },
);
