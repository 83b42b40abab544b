import { afterEach, describe, expect, it } from 'vitest';
import { connect, isType, type TestClient } from '../../helpers/ws/client.js';
import { startSpout } from '../../helpers/ws/server.js';
import { whale } from '../../helpers/ws/whales.js';

// A client that reconnects with the id of the last event it received (`resume` in its auth
// message) is sent exactly what it missed, then `resumed`, then the live events — none twice.

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function client(...args: Parameters<typeof connect>): TestClient {
  const c = connect(...args);
  cleanups.push(() => c.ws.terminate());
  return c;
}
const txids = (c: TestClient) =>
  c.messages.filter(isType('whale.detected')).map((m) => (m.data as { txid: string }).txid);

describe('websocket output: resume', () => {
  it('sends exactly the events missed since the given id, then resumed, then live ones', async () => {
    const s = await startSpout(
      ['inputs:', '  feed: { use: replay }', 'outputs:', '  live: { use: websocket }'].join('\n'),
    );
    cleanups.push(() => s.stop());
    const token = await s.token({ sub: 'desk' });
    const first = client(s.wsUrl(), { token });
    await first.next(isType('auth.ok'));
    for (const n of [1, 2, 3]) s.kernel.bus.publish('whale.detected', whale(n), 'test');
    await first.count(isType('whale.detected'), 3);
    const last = first.messages.filter(isType('whale.detected')).at(-1)!.id as string;
    first.ws.close();
    await first.closed;

    for (const n of [4, 5]) s.kernel.bus.publish('whale.detected', whale(n), 'test');
    await s.kernel.bus.drain();
    const again = client(s.wsUrl(), { token, resume: last });
    const resumed = await again.next(isType('resumed'));
    expect(resumed).toEqual({ type: 'resumed', from: last, missed: 2, complete: true });
    s.kernel.bus.publish('whale.detected', whale(6), 'test');
    await again.count(isType('whale.detected'), 3);
    expect(txids(again)).toEqual([whale(4), whale(5), whale(6)].map((w) => w.txid));
    const order = again.messages.map((m) => m.type);
    expect(order.indexOf('resumed')).toBe(order.lastIndexOf('whale.detected') - 1);
  });

  it('an unknown or trimmed id: resumed with complete false, and the live feed goes on', async () => {
    const s = await startSpout(
      ['inputs:', '  feed: { use: replay }', 'outputs:', '  live: { use: websocket }'].join('\n'),
    );
    cleanups.push(() => s.stop());
    const c = client(s.wsUrl(), { token: await s.token({ sub: 'desk' }), resume: `evt_${'0'.repeat(32)}` });
    expect(await c.next(isType('resumed'))).toMatchObject({ missed: 0, complete: false });
    s.kernel.bus.publish('whale.detected', whale(7), 'test');
    await c.count(isType('whale.detected'), 1);
  });

  it('a resume that is not an event id is refused with the reason', async () => {
    const s = await startSpout(
      ['inputs:', '  feed: { use: replay }', 'outputs:', '  live: { use: websocket }'].join('\n'),
    );
    cleanups.push(() => s.stop());
    const c = client(s.wsUrl(), { token: await s.token({ sub: 'desk' }), resume: 'yesterday' });
    const closed = await c.closed;
    expect(closed.code).toBe(4401);
    expect(closed.reason).toMatch(/resume.*must be the id of the last event received/);
  });
});
