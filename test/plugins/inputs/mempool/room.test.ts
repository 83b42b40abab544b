import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { defaultPipelineConfig } from '../../../../bench/default-pipeline.js';
import { createConnection } from '../../../../plugins/inputs/mempool/connection.js';
import { createFrameRoom } from '../../../../plugins/inputs/mempool/room.js';
import { HEAP_ENV, HEAP_FLAGS } from '../../../../src/kernel/heap.js';
import { CLI } from '../../../helpers/cli.js';
import { childEnv } from '../../../helpers/env.js';
import { until } from '../../../helpers/kernel.js';

const BUILT_ROOM = fileURLToPath(new URL('../../../../dist/plugins/inputs/mempool/room.js', import.meta.url));
// The benchmarks' feed as built: it finds `../shared/fixtures` from `dist/bench/`.
const BUILT_FEED = fileURLToPath(new URL('../../../../dist/bench/feed.js', import.meta.url));

describe('room in the young generation before a large frame', () => {
  const collector = () => {
    const calls: unknown[] = [];
    return { calls, gc: (options: { type: 'minor' }) => void calls.push(options) };
  };

  it('collects the young generation first when less room is left than the frame will take', () => {
    const { calls, gc } = collector();
    let room = 1_000_000;
    const makeRoom = createFrameRoom({ gc, youngRoom: () => room });
    expect(makeRoom(500_000)).toBe(true); // needs about 2.5 × 500 kB
    expect(calls).toEqual([{ type: 'minor' }]);
    room = 2_000_000;
    expect(makeRoom(500_000)).toBe(false); // 2 MB is enough for it
    expect(makeRoom(32_000)).toBe(false); // short frames never: too small to matter
    expect(calls).toHaveLength(1);
  });

  it('does nothing without a collector, and a failing one costs the frame nothing', () => {
    expect(createFrameRoom({ gc: null, youngRoom: () => 0 })(1_000_000)).toBe(false);
    const failing = createFrameRoom({
      gc: () => {
        throw new Error('no collection here');
      },
      youngRoom: () => 0,
    });
    expect(failing(1_000_000)).toBe(false);
  });

  it("reads V8's own young generation and collects it (node --expose-gc, as the launchers start it)", async () => {
    // A young generation of 16 MB from the start (it grows to that under load), filled with
    // garbage until less than 2 MB is left; then a frame of 1 MB asks for 2.5 MB: the
    // collection empties it (the garbage is dead), so the room grows.
    const script = `
      import { getHeapSpaceStatistics } from 'node:v8';
      import { createFrameRoom } from ${JSON.stringify(BUILT_ROOM)};
      const room = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_available_size;
      const makeRoom = createFrameRoom();
      globalThis.gc({ type: 'minor' });
      let keep = [];
      while (room() >= 2_000_000) keep.push(new Array(64).fill(keep.length));
      if (keep.length === 0) throw new Error('nothing allocated');
      keep = null;
      const before = room();
      const collected = makeRoom(1_000_000);
      console.log(JSON.stringify({ before, collected, after: room(), again: makeRoom(100_000) }));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--min-semi-space-size=16',
        '--max-semi-space-size=16',
        '--input-type=module',
        '-e',
        script,
      ],
      { env: childEnv() },
    );
    const r = JSON.parse(stdout) as { before: number; collected: boolean; after: number; again: boolean };
    expect(r.before).toBeLessThan(2_000_000);
    expect(r.collected).toBe(true);
    expect(r.after).toBeGreaterThan(r.before + 1_000_000);
    expect(r.again).toBe(false); // now there is room for a small frame
  });

  it("the input's connection gives each text frame's length in bytes before the frame", async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const seen: string[] = [];
    const connection = createConnection({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      subscriptions: () => [],
      beforeFrame: (bytes) => void seen.push(`room for ${bytes}`),
      onFrame: (text) => void seen.push(`frame ${text}`),
      onState() {},
    });
    try {
      server.on('connection', (socket) => {
        socket.send(Buffer.from([1, 2, 3]), { binary: true }); // binary frames are not read
        socket.send('{"fees":"€"}'); // 12 characters, 14 bytes
      });
      connection.start();
      await until(() => seen.length >= 2, 5000, 'the text frame');
      expect(seen).toEqual(['room for 14', 'frame {"fees":"€"}']);
    } finally {
      await connection.stop();
      server.close();
    }
  });

  it('`spout run`, started as the launchers start it, collects the young generation before large frames', async () => {
    // 24 frames of 500 transactions (2.2–2.6 MB each) into a young generation of at most 32 MB:
    // room runs short every few frames. `--trace-gc` prints each collection with its reason; a
    // young collection asked for through `gc()` says "testing" (start-up's one settling
    // collection, 5 s after start, is a full one).
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const pipeline = await defaultPipelineConfig(`{ use: mempool, url: "${url}" }`);
    const child = spawn(
      process.execPath,
      [...HEAP_FLAGS, '--trace-gc', CLI, 'run', '--config', pipeline.config],
      {
        env: childEnv(HEAP_ENV),
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const marker = 'e'.repeat(64);
    try {
      const [socket] = (await once(server, 'connection')) as [WebSocket];
      const { createFeed } = (await import(BUILT_FEED)) as typeof import('../../../../bench/feed.js');
      const feed = createFeed(500, 1_000_000);
      socket.send(feed.hello());
      for (let frames = 0; frames < 24;) for (const frame of feed.next()) (socket.send(frame), frames++);
      socket.send(feed.marker(marker));
      await until(() => stdout.includes(marker), 15_000, 'the marker whale on the console');
      const young = stdout.split('\n').filter((l) => l.includes('Scavenge'));
      expect(young.length).toBeGreaterThan(0);
      expect(young.filter((l) => l.includes('testing')).length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      server.close();
      await pipeline.remove();
    }
  });
});
