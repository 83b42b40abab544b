import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestsDir, startControl } from '../../src/cli/control.js';
import { awaitAnswer, writeRequest } from '../../src/control/writer.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { OutboxRecord } from '../../src/delivery/outbox/record.js';
import { steppedClock } from '../helpers/clock.js';
import { captureLog, until } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const dead: OutboxRecord = {
  id: 'desk/evt_dead',
  instance: 'desk',
  channel: 'webhook',
  eventId: 'evt_dead',
  eventType: 'whale.detected',
  body: '{}',
  status: 'dead',
  attempts: 8,
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T12:00:00.000Z',
  nextAttemptAt: null,
  lastStatus: 503,
};

/**
 * A running process's control loop over a store holding one dead delivery, polling every 5 ms,
 * its files aged on a clock the test moves.
 */
async function control() {
  const root = await mkdtemp(join(tmpdir(), 'spout-control-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const path = join(root, 'spout.json');
  const store = createMemoryStore();
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  outbox.put(dead.id, dead);
  const log = captureLog();
  const clock = steppedClock();
  const stop = await startControl(path, store, log.log, { intervalMs: 5, now: clock.now });
  cleanups.push(stop);
  return { path, dir: requestsDir(path), outbox, log, clock };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the request folder of the running process (spout deliveries retry)', () => {
  it('does not lose a request written in place slowly: it waits for it to be complete', async () => {
    const { dir, outbox, log } = await control();
    const file = join(dir, '1-slow.json');
    const text = JSON.stringify({ type: 'deliveries.retry', ids: [dead.id] });
    // A writer that does not rename (a script, an older spout): byte by byte, polls in between.
    const handle = await open(file, 'w');
    for (const byte of Buffer.from(text)) {
      await handle.write(Buffer.from([byte]));
      await sleep(15);
    }
    await handle.close();
    expect(await awaitAnswer(file, 5000)).toEqual({ requeued: 1 });
    expect(outbox.get(dead.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('answers a file that stays no request with an error once it has not changed for the grace period', async () => {
    const { dir, outbox, clock } = await control();
    const file = join(dir, '1-torn.json');
    await writeFile(file, '{"type":"deliveries.re');
    await until(() => clock.reads > 0, 5000, 'the torn request looked at');
    expect(existsSync(file)).toBe(true); // left alone: its writer may still be writing it
    clock.advance(5_000); // its writer is gone: unchanged for the grace period
    expect(await awaitAnswer(file, 5000)).toEqual({ error: expect.stringMatching(/not a valid request/) });
    expect(outbox.get(dead.id)).toMatchObject({ status: 'dead' });
  });

  it('takes a request left by writeRequest (aside + rename) and the command gets the answer, then removes it', async () => {
    const { dir, outbox } = await control();
    const file = await writeRequest(dir, { type: 'deliveries.retry', dead: true });
    expect(file.endsWith('.json')).toBe(true);
    expect(await awaitAnswer(file, 5000)).toEqual({ requeued: 1 });
    expect(outbox.get(dead.id)).toMatchObject({ status: 'pending' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes answers and temporary files no command came for once stale; ignores temporary files', async () => {
    const { dir, outbox, clock } = await control();
    const request = JSON.stringify({ type: 'deliveries.retry', dead: true });
    for (const name of ['1-old.json.done', '1-old.json.tmp', '1-old.json.done.tmp'])
      await writeFile(join(dir, name), name.endsWith('.done') ? '{"requeued":0}' : request);
    // A pass under way may have missed some (at most 2 reads); the next one sees all three.
    const written = clock.reads;
    await until(() => clock.reads >= written + 5, 5000, 'the three files looked at');
    clock.advance(60_000); // unchanged for a minute, as the process has watched them
    await writeFile(join(dir, '2-fresh.json.done'), '{"requeued":0}');
    await writeFile(join(dir, '2-fresh.json.tmp'), request); // a command still writing it
    await until(() => !existsSync(join(dir, '1-old.json.done')), 5000, 'the stale answer removed');
    await until(() => !existsSync(join(dir, '1-old.json.tmp')), 5000, 'the stale temporary file removed');
    await until(
      () => !existsSync(join(dir, '1-old.json.done.tmp')),
      5000,
      'the stale answer being written removed',
    );
    expect((await readdir(dir)).sort()).toEqual(['2-fresh.json.done', '2-fresh.json.tmp']);
    expect(await readFile(join(dir, '2-fresh.json.tmp'), 'utf8')).toBe(request);
    expect(outbox.get(dead.id)).toMatchObject({ status: 'dead' });
  });
});
