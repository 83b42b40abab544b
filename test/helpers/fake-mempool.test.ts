import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { merkleRoot, startFakeMempool, subsidy, waitFor, type FakeMempool } from './fake-mempool.js';
import {
  extendTx,
  hasFixtures,
  loadBlock277647,
  loadBlock277647Header,
  loadBlockFrame,
  loadFixtureJson,
  loadInitPayload,
  loadRbfPairs,
  type EsploraTx,
} from './fixtures.js';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`not an object: ${String(v)}`);
  return v as Obj;
}

function arr(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error(`not an array: ${String(v)}`);
  return v;
}

/** A plain `ws` client that queues every frame it receives. */
interface TestClient {
  ws: WebSocket;
  frames: string[];
  /** The next unread frame, raw. */
  next(ms?: number): Promise<string>;
  /** The next unread frame, parsed. */
  json(ms?: number): Promise<Obj>;
  /** Waits `ms`, then asserts that no unread frame is queued. */
  silent(ms?: number): Promise<void>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

const clients: WebSocket[] = [];
let fake: FakeMempool | undefined;

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await fake?.close();
  fake = undefined;
});

async function start(options?: Parameters<typeof startFakeMempool>[0]): Promise<FakeMempool> {
  fake = await startFakeMempool(options);
  return fake;
}

async function connect(url: string): Promise<TestClient> {
  const ws = new WebSocket(url);
  clients.push(ws);
  const frames: string[] = [];
  let read = 0;
  ws.on('message', (data: Buffer) => frames.push(data.toString('utf8')));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = async (ms = 3000): Promise<string> => {
    await waitFor(() => frames.length > read, ms, `frame #${read + 1}`);
    return frames[read++] as string;
  };
  return {
    ws,
    frames,
    next,
    json: async (ms) => obj(JSON.parse(await next(ms))),
    silent: async (ms = 200) => {
      await new Promise((r) => setTimeout(r, ms));
      expect(frames.slice(read)).toEqual([]);
    },
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    closed,
  };
}

const sumOut = (tx: EsploraTx): number => tx.vout.reduce((s, o) => s + o.value, 0);

describe.skipIf(!hasFixtures)('fixtures', () => {
  it('block 277647: 213 txs, coinbase first, merkle root and coinbase value check out', () => {
    const txs = loadBlock277647();
    const header = loadBlock277647Header();
    expect(txs).toHaveLength(213);
    expect(txs[0]?.vin[0]?.is_coinbase).toBe(true);
    expect(txs[0]?.txid).toBe('0fc1f998e6fc1fa43a879cea4a54fe9947e02b925ebc46237a2406c50e0f07ea');
    expect(header).toMatchObject({ height: 277647, tx_count: 213 });
    expect(merkleRoot(txs.map((t) => t.txid))).toBe(header.merkle_root);
    const fees = txs.reduce((s, t) => s + t.fee, 0);
    expect(sumOut(txs[0] as EsploraTx)).toBe(subsidy(277647) + fees);
    expect(subsidy(277647) + fees).toBe(2_504_737_355);
    const whales = txs.filter((t) => sumOut(t) > 100e8).map((t) => t.txid.slice(0, 8));
    expect(whales.sort()).toEqual(['5143ba55', '712db987', 'd3852055']);
    expect(txs.some((t) => t.vin.some((v) => v.sequence < 0xfffffffe))).toBe(false);
  });

  it('RBF pairs share an input outpoint and pay more', () => {
    const pairs = loadRbfPairs();
    expect(pairs.map((p) => [p.replaced.txid.slice(0, 8), p.by.txid.slice(0, 8)])).toEqual([
      ['00859236', '7219d951'],
      ['b7981a62', '5387881d'],
      ['242f3fff', 'b6a53d8a'],
    ]);
    for (const { replaced, by } of pairs) {
      const spent = new Set(replaced.vin.map((v) => `${v.txid}:${v.vout}`));
      expect(by.vin.some((v) => spent.has(`${v.txid}:${v.vout}`))).toBe(true);
      expect(by.fee).toBeGreaterThan(replaced.fee);
      // Plain Esplora shape: the MempoolTransactionExtended extras of the source files are stripped.
      expect(Object.keys(by)).toEqual(Object.keys(replaced));
      expect(by).not.toHaveProperty('order');
    }
  });

  it('extendTx matches the fields the real backend computed for the same txs', () => {
    const real = [
      ...arr(loadFixtureJson('mempool-repo/transactions-replaced.json')),
      loadFixtureJson('mempool-repo/tx01_api_cached.json'),
    ].map(obj);
    const pairs = loadRbfPairs();
    const plain = [pairs[0]?.replaced, pairs[1]?.replaced, pairs[2]?.replaced] as EsploraTx[];
    plain.forEach((tx, i) => {
      const ext = extendTx(tx, 1_700_000_000);
      const ref = real[i] as Obj;
      expect(ext.txid).toBe(ref.txid);
      for (const key of [
        'order',
        'adjustedVsize',
        'feePerVsize',
        'adjustedFeePerVsize',
        'effectiveFeePerVsize',
      ]) {
        expect(ext[key as keyof typeof ext], key).toBe(ref[key]);
      }
      // Current code: vsize = ceil(weight / 4). The 2023 backend test data rounded (b7981a62: weight 573, vsize 143).
      expect(ext.vsize).toBe(Math.ceil(tx.weight / 4));
      expect(Math.abs(ext.vsize - Number(ref.vsize))).toBeLessThanOrEqual(1);
      expect(ext).toMatchObject({ firstSeen: 1_700_000_000, status: { confirmed: false }, cpfpDirty: false });
      expect(ext.flags % 2).toBe(1); // every one of these signals RBF
    });
    const block = extendTx(loadBlock277647()[1] as EsploraTx);
    expect(block.flags % 2).toBe(0);
    expect(Math.floor(block.flags / 2) % 2).toBe(1); // no_rbf
    expect(block).toMatchObject({ ancestors: [], descendants: [], bestDescendant: null });
    expect(block.vsize).toBe(Math.ceil(block.weight / 4));
    expect(loadBlockFrame()).toHaveProperty('block.height', 890448);
  });
});

describe.skipIf(!hasFixtures)('fake mempool server', () => {
  it('sends nothing on connect; init is its own frame, serialized like the real server', async () => {
    const f = await start();
    expect(f.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/api\/v1\/ws$/);
    const c = await connect(f.url);
    await f.waitForConnections(1);
    await c.silent(150);
    c.send({ action: 'init' });
    const raw = await c.next();
    expect(raw.startsWith('{"mempoolInfo": {')).toBe(true);
    expect(JSON.parse(raw)).toEqual(loadInitPayload());
    await c.silent(100);
    expect(f.received).toHaveLength(1);
    expect(f.received[0]).toMatchObject({ conn: 1, message: { action: 'init' }, raw: '{"action":"init"}' });
  });

  it('accepts any path, like the backend behind nginx', async () => {
    const f = await start();
    const c = await connect(f.url.replace('/api/v1/ws', '/'));
    c.send({ action: 'ping' });
    expect(await c.next()).toBe('{"pong": true}');
  });

  it('want replaces the set and answers, in one frame, only for newly added names', async () => {
    const f = await start();
    const init = loadInitPayload();
    const c = await connect(f.url);
    c.send({ action: 'want', data: ['blocks', 'bogus'] });
    expect(await c.json()).toEqual({ blocks: init.blocks });
    expect(f.subscriptions().want).toEqual(['blocks']);
    c.send({ action: 'want', data: ['blocks', 'stats', 'mempool-blocks'] });
    const frame = await c.json();
    expect(Object.keys(frame).sort()).toEqual([
      'da',
      'fees',
      'mempool-blocks',
      'mempoolInfo',
      'vBytesPerSecond',
    ]);
    expect(frame['mempool-blocks']).toEqual(init['mempool-blocks']);
    c.send({ action: 'want', data: [] });
    await waitFor(() => f.subscriptions().want.length === 0, 1000, 'empty want');
    await c.silent(100);
    c.send({ action: 'want', data: ['live-2h-chart'] }); // subscribes, but has no immediate reply
    await c.silent(100);
    expect(f.subscriptions(1).want).toEqual(['live-2h-chart']);
  });

  it('init first, then every other reply to the same message combined into one frame', async () => {
    const f = await start();
    const c = await connect(f.url);
    c.send({ action: 'init', 'track-rbf': 'all', 'track-mempool': true });
    c.send({ action: 'want', data: ['blocks'], 'track-mempool-block': 2, 'unknown-key': 1 });
    c.send({ action: 'ping' });
    expect(Object.keys(await c.json())).toContain('backendInfo');
    expect(await c.json()).toEqual({ rbfLatest: [] });
    const combined = await c.json();
    expect(Object.keys(combined)).toEqual(['blocks', 'projected-block-transactions']);
    expect(combined['projected-block-transactions']).toEqual({
      index: 2,
      sequence: 0,
      blockTransactions: [],
    });
    expect(await c.next()).toBe('{"pong": true}');
    expect(f.subscriptions()).toEqual({
      want: ['blocks'],
      trackMempool: true,
      trackRbf: 'all',
      trackMempoolBlock: 2,
    });
  });

  it('pushMempool: one frame per client with only its keys; sequence shared and increasing', async () => {
    const f = await start();
    const [firehose, stats, idle] = [await connect(f.url), await connect(f.url), await connect(f.url)];
    firehose.send({ 'track-mempool': true });
    stats.send({ action: 'want', data: ['stats', 'mempool-blocks'] });
    await stats.next();
    await waitFor(() => f.subscriptions(1).trackMempool, 1000, 'track-mempool');
    const txs = loadBlock277647().slice(1, 4);
    expect(f.sequence()).toBe(0);
    f.pushMempool({ added: txs, removed: ['aa'.repeat(32)] });
    expect(f.sequence()).toBe(1);
    const frame = await firehose.json();
    expect(Object.keys(frame)).toEqual(['mempool-transactions']);
    const delta = obj(frame['mempool-transactions']);
    expect(delta).toMatchObject({ sequence: 1, removed: ['aa'.repeat(32)], mined: [], replaced: [] });
    const added = arr(delta.added).map(obj);
    expect(added.map((t) => t.txid)).toEqual(txs.map((t) => t.txid));
    expect(added[0]).toMatchObject({
      vsize: Math.ceil((txs[0]?.weight ?? 0) / 4),
      status: { confirmed: false },
    });
    expect(added[0]?.vout).toEqual(txs[0]?.vout);
    const s = await stats.json();
    expect(Object.keys(s)).toEqual([
      'mempoolInfo',
      'vBytesPerSecond',
      'transactions',
      'da',
      'fees',
      'mempool-blocks',
    ]);
    const before = arr(loadInitPayload().transactions).slice(0, 3);
    expect(arr(s.transactions).map((t) => obj(t).txid)).toEqual([
      ...txs.map((t) => t.txid),
      ...before.map((t) => obj(t).txid),
    ]);
    await idle.silent(100);
    f.pushMempool({ removed: [txs[0]?.txid ?? ''] });
    expect(obj((await firehose.json())['mempool-transactions'])).toMatchObject({ sequence: 2, added: [] });
  });

  it('RBF: replaced entries in mempool-transactions and rbfLatest trees in the same frame', async () => {
    const f = await start();
    const c = await connect(f.url);
    const full = await connect(f.url);
    c.send({ 'track-mempool': true, 'track-rbf': 'all' });
    full.send({ 'track-rbf': 'fullRbf' });
    expect(await c.json()).toEqual({ rbfLatest: [] });
    expect(await full.json()).toEqual({ rbfLatest: [] });
    const [, , pair] = loadRbfPairs();
    if (!pair) throw new Error('no pair');
    f.pushMempool({ added: [pair.replaced] });
    await c.json();
    f.pushMempool({ replaced: [{ replaced: pair.replaced.txid, by: pair.by }] });
    const frame = await c.json();
    expect(Object.keys(frame)).toEqual(['rbfLatest', 'mempool-transactions']);
    const delta = obj(frame['mempool-transactions']);
    const byTx = obj(arr(delta.added)[0]);
    expect(byTx.txid).toBe(pair.by.txid);
    expect(delta.removed).toEqual([pair.replaced.txid]);
    expect(delta.replaced).toEqual([{ replaced: pair.replaced.txid, by: byTx }]);
    const tree = obj(arr(frame.rbfLatest)[0]);
    expect(tree).toMatchObject({
      tx: { txid: pair.by.txid, fee: 960, vsize: 224, value: 49040, rbf: true, fullRbf: false },
      fullRbf: false,
      replaces: [
        { tx: { txid: pair.replaced.txid, fee: 606, vsize: 233, rbf: true }, fullRbf: false, replaces: [] },
      ],
    });
    // Like the real server, fullRbf clients get the (filtered, here empty) list whenever any tree changed.
    expect(await full.json()).toEqual({ rbfLatest: [] });

    // A full-RBF replacement: the replaced tx (from 2013) does not signal.
    const old = loadBlock277647()[5] as EsploraTx;
    const bump: EsploraTx = { ...old, txid: 'f'.repeat(64), fee: old.fee + 10_000 };
    f.pushMempool({ added: [old] });
    await c.json();
    f.pushMempool({ replaced: [{ replaced: old.txid, by: bump }] });
    const fullFrame = await full.json();
    expect(arr(fullFrame.rbfLatest)).toHaveLength(1);
    expect(obj(arr(fullFrame.rbfLatest)[0])).toMatchObject({
      fullRbf: true,
      tx: { txid: bump.txid, fullRbf: true },
    });
    expect(arr((await c.json()).rbfLatest)).toHaveLength(2);
  });

  it('pushBlock: block, stats, mempool-blocks and mined txids in one frame per client', async () => {
    const f = await start();
    const init = loadInitPayload();
    const c = await connect(f.url);
    c.send({ action: 'want', data: ['blocks', 'stats', 'mempool-blocks'], 'track-mempool': true });
    await c.next();
    const txs = loadBlock277647();
    f.pushMempool({ added: txs.slice(1) });
    await c.next();
    const header = loadBlock277647Header();
    const txids = txs.map((t) => t.txid);
    f.pushBlock({ id: header.id, height: header.height, timestamp: header.timestamp }, txids);
    const frame = await c.json();
    expect(Object.keys(frame)).toEqual([
      'block',
      'mempoolInfo',
      'vBytesPerSecond',
      'fees',
      'da',
      'mempool-blocks',
      'mempool-transactions',
    ]);
    const lastInitBlock = obj(arr(init.blocks).at(-1));
    const block = obj(frame.block);
    expect(block).toMatchObject({
      id: header.id,
      height: 277647,
      tx_count: 213,
      merkle_root: header.merkle_root,
      previousblockhash: lastInitBlock.id,
      stale: false,
      extras: { reward: 2_504_737_355, pool: obj(lastInitBlock.extras).pool },
    });
    expect(String(obj(block.extras).header)).toHaveLength(160);
    expect(frame['mempool-transactions']).toEqual({
      sequence: 2,
      added: [],
      removed: [],
      mined: txids,
      replaced: [],
    });
    const later = await connect(f.url);
    later.send({ action: 'want', data: ['blocks'] });
    const blocks = arr((await later.json()).blocks);
    expect(blocks).toHaveLength(8);
    expect(obj(blocks.at(-1)).id).toBe(header.id);
  });

  it('track-mempool-block: full frame on subscribe, deltas on pushes, stop on out-of-range', async () => {
    const f = await start();
    const tx = (id: string, rate: number): [string, number, number, number, number, number, number] => [
      id.repeat(64),
      rate * 100,
      100,
      50_000,
      rate,
      1,
      1_711_854_000,
    ];
    f.setProjectedBlockTransactions(0, [tx('a', 10), tx('b', 9)]);
    const c = await connect(f.url);
    c.send({ 'track-mempool-block': 0 });
    expect(obj((await c.json())['projected-block-transactions'])).toEqual({
      index: 0,
      sequence: 0,
      blockTransactions: [tx('a', 10), tx('b', 9)],
    });
    f.pushMempool({});
    await c.json(); // first delta: everything since the (empty) previous push
    f.setProjectedBlockTransactions(0, [tx('a', 12), tx('c', 8)]);
    f.pushMempool({ removed: ['b'.repeat(64)] });
    expect(obj((await c.json())['projected-block-transactions'])).toEqual({
      index: 0,
      sequence: 2,
      delta: { added: [tx('c', 8)], removed: ['b'.repeat(64)], changed: [['a'.repeat(64), 12, 1, 0]] },
    });
    c.send({ 'track-mempool-block': 8 });
    await waitFor(() => f.subscriptions().trackMempoolBlock === null, 1000, 'stop');
  });

  it('conversions go to every client, subscribed or not, and update init', async () => {
    const f = await start();
    const c = await connect(f.url);
    await f.waitForConnections(1);
    f.pushConversions({ USD: 100_000, EUR: 92_000 });
    const raw = await c.next();
    const conv = obj(obj(JSON.parse(raw)).conversions);
    expect(conv).toMatchObject({ USD: 100_000, EUR: 92_000 });
    expect(typeof conv.time).toBe('number');
    c.send({ action: 'init' });
    expect(obj((await c.json()).conversions)).toEqual(conv);
  });

  it('dropAll terminates without a close frame; clients can reconnect', async () => {
    const f = await start();
    const c = await connect(f.url);
    await f.waitForConnections(1);
    expect(f.openCount()).toBe(1);
    f.dropAll();
    expect((await c.closed).code).toBe(1006);
    expect(f.openCount()).toBe(0);
    const again = await connect(f.url);
    await f.waitForConnections(2);
    expect(f.accepted()).toBe(2);
    again.send({ action: 'ping' });
    expect(await again.next()).toBe('{"pong": true}');
  });

  it('stall: frames are recorded but nothing is answered or pushed, not even pong; TCP stays open', async () => {
    const f = await start();
    const c = await connect(f.url);
    c.send({ 'track-mempool': true });
    await waitFor(() => f.subscriptions().trackMempool, 1000, 'track-mempool');
    f.stall(true);
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    c.ws.ping();
    c.send({ action: 'ping' });
    f.pushMempool({ added: loadBlock277647().slice(1, 2) });
    await f.waitForMessage((m) => obj(m.message).action === 'ping');
    await c.silent(250);
    expect(pongs).toBe(0);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    f.stall(false);
    c.send({ action: 'ping' });
    expect(await c.next()).toBe('{"pong": true}');
    c.ws.ping();
    await waitFor(() => pongs === 1, 1000, 'ws pong');
    expect(f.sequence()).toBe(1);
  });

  it('malformed frames: sendRaw reaches clients; invalid JSON or null from a client closes it', async () => {
    const f = await start();
    const c = await connect(f.url);
    await f.waitForConnections(1);
    f.sendRaw('{"mempool-transactions": {broken');
    expect(await c.next()).toBe('{"mempool-transactions": {broken');
    for (const odd of ['5', '[]', '"str"', '{"track-mempool":"yes"}', '{"action":"want","data":"blocks"}'])
      c.send(odd);
    c.send({ action: 'ping' });
    expect(await c.next()).toBe('{"pong": true}');
    expect(f.subscriptions()).toEqual({
      want: [],
      trackMempool: false,
      trackRbf: null,
      trackMempoolBlock: null,
    });
    c.send('{nope');
    expect(await c.closed).toEqual({ code: 1005, reason: '' });
    expect(f.received.at(-1)).toMatchObject({ message: null, raw: '{nope' });
    const d = await connect(f.url);
    d.send('null');
    expect((await d.closed).code).toBe(1005);
  });

  it('rate limit: the 101st message inside 10 s closes the connection', async () => {
    const f = await start();
    const c = await connect(f.url);
    for (let i = 0; i < 101; i++) c.send({ action: 'ping' });
    expect((await c.closed).code).toBe(1005);
    expect(c.frames.filter((x) => x === '{"pong": true}')).toHaveLength(100);
    expect(f.received).toHaveLength(101);
  });

  it('rate limit and size limit are configurable; oversize frames are closed with 1009', async () => {
    const f = await start({ rateLimit: { messages: 3, windowMs: 200 }, maxMessageSize: 1000 });
    const c = await connect(f.url);
    for (let i = 0; i < 3; i++) c.send({ action: 'ping' });
    await waitFor(() => c.frames.length === 3, 1000, '3 pongs');
    await new Promise((r) => setTimeout(r, 250)); // the window slides
    c.send({ action: 'ping', pad: 'x'.repeat(900) });
    expect(await c.next()).toBe('{"pong": true}');
    c.send({ action: 'ping', pad: 'x'.repeat(1000) });
    expect((await c.closed).code).toBe(1009);
  });

  it('the default size limit is 50,000 bytes', async () => {
    const f = await start();
    const c = await connect(f.url);
    const frame = (size: number) => {
      const base = JSON.stringify({ action: 'ping', pad: '' });
      return JSON.stringify({ action: 'ping', pad: 'x'.repeat(size - base.length) });
    };
    c.send(frame(50_000));
    expect(await c.next()).toBe('{"pong": true}');
    c.send(frame(50_001));
    expect((await c.closed).code).toBe(1009);
  });

  it('without blocks, init gets no reply and the rest of that message is dropped', async () => {
    const f = await start({ init: { ...loadInitPayload(), blocks: [] } });
    const c = await connect(f.url);
    c.send({ action: 'init', 'track-mempool': true });
    await c.silent(150);
    expect(f.subscriptions().trackMempool).toBe(false);
  });

  it('close() terminates clients and stops accepting', async () => {
    const f = await start();
    const c = await connect(f.url);
    await f.waitForConnections(1);
    const wait = f.waitForMessage(() => false, 5000);
    await f.close();
    fake = undefined;
    await expect(wait).rejects.toThrow(/stopped/);
    expect((await c.closed).code).toBe(1006);
    await expect(connect(f.url)).rejects.toThrow();
  });
});
