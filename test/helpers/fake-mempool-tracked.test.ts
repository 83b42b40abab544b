import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFakeMempool, waitFor, type FakeMempool } from './fake-mempool.js';
import { hasFixtures, loadBlock277647 } from './fixtures.js';

let fake: FakeMempool | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await fake?.close();
  fake = undefined;
});

/** A client that records every frame, parsed. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await once(ws, 'open');
  return { ws, frames, closed, send: (m: unknown) => ws.send(JSON.stringify(m)) };
}

const hex = (n: number) => n.toString(16).padStart(64, '0');
const tracked = (frames: Array<Record<string, unknown>>) => frames.filter((f) => 'tracked-txs' in f);

describe.skipIf(!hasFixtures)('fake mempool: track-txs (protocol doc §2.1, §3.8)', () => {
  it('answers the subscription with the tracked transactions in its mempool, and sends each client only its own news', async () => {
    fake = await startFakeMempool();
    const [a, b] = loadBlock277647().slice(1, 3) as [never, never];
    fake.pushMempool({ added: [a, b] });
    const one = await connect(fake.url);
    const two = await connect(fake.url);
    const ida = (a as { txid: string }).txid;
    const idb = (b as { txid: string }).txid;
    one.send({ 'track-txs': [ida.toUpperCase(), hex(1), 'bad'] });
    two.send({ 'track-txs': [idb] });
    await waitFor(
      () => tracked(one.frames).length === 1 && tracked(two.frames).length === 1,
      2000,
      'replies',
    );
    expect(tracked(one.frames)[0]).toEqual({
      'tracked-txs': { [ida]: { confirmed: false, position: { block: 0, vsize: expect.any(Number) } } },
    });
    expect(fake.trackedTxs(1)).toEqual([ida, hex(1)]);
    fake.pushTracked({ [ida]: { position: { block: 3, vsize: 10 }, cpfp: { effectiveFeePerVsize: 5 } } });
    await waitFor(() => tracked(one.frames).length === 2, 2000, 'news');
    expect(tracked(one.frames)[1]).toEqual({
      'tracked-txs': { [ida]: { position: { block: 3, vsize: 10 }, cpfp: { effectiveFeePerVsize: 5 } } },
    });
    fake.pushBlock({ id: hex(9), height: 277_647, timestamp: 1_388_367_102 }, [idb]);
    await waitFor(() => tracked(two.frames).length === 2, 2000, 'confirmation');
    expect(tracked(two.frames)[1]?.['tracked-txs']).toEqual({ [idb]: { confirmed: true } });
    expect(tracked(one.frames)).toHaveLength(2);
  });

  it('answers more than 100 txids with track-txs-error and closes the connection', async () => {
    fake = await startFakeMempool();
    const c = await connect(fake.url);
    c.send({ 'track-txs': Array.from({ length: 101 }, (_, i) => hex(i)) });
    await c.closed;
    expect(c.frames).toEqual([
      {
        'track-txs-error':
          'too many txids requested, this connection supports tracking a maximum of 100 transactions',
      },
    ]);
    expect(fake.trackedTxs(1)).toEqual([]);
  });
});
