import { watch } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestsDir } from '../../src/cli/control.js';
import { readStoreFiles } from '../../src/store/file-format.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { run, start } from '../helpers/cli.js';

const record = (id: string, status: OutboxRecord['status'], attempts: number): OutboxRecord => ({
  id: `desk/${id}`,
  instance: 'desk',
  channel: 'webhook',
  eventId: id,
  eventType: 'whale.detected',
  body: '{}',
  status,
  attempts,
  createdAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T12:00:00.000Z',
  nextAttemptAt: null,
  ...(status === 'dead' ? { lastStatus: 503 } : { deliveredAt: '2026-11-21T10:00:01.000Z', lastStatus: 200 }),
});

async function workspace() {
  const dir = await mkdtemp(join(tmpdir(), 'spout-deliveries-'));
  const path = join(dir, 'spout.json');
  const store = await openLowdbStore({ path });
  store.collection<OutboxRecord>(COLLECTIONS.outbox).put('desk/evt_dead', record('evt_dead', 'dead', 8));
  store.collection<OutboxRecord>(COLLECTIONS.outbox).put('desk/evt_ok', record('evt_ok', 'delivered', 1));
  for (let a = 1; a <= 2; a++) {
    const attempt: DeliveryAttempt = {
      id: `desk/evt_dead#${a}`,
      outboxId: 'desk/evt_dead',
      instance: 'desk',
      attempt: a,
      createdAt: `2026-11-21T10:0${a}:00.000Z`,
      statusCode: 503,
      latencyMs: 12,
      outcome: 'retry',
    };
    store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).put(attempt.id, attempt);
  }
  await store.close();
  await writeFile(
    join(dir, 'config.yaml'),
    [
      'http: { enabled: false }',
      'log: { format: json }',
      'storage: { path: ./spout.json }',
      'inputs:',
      '  feed: { use: replay }',
    ].join('\n'),
  );
  return { dir, path };
}

describe('spout deliveries (built CLI)', () => {
  it('lists by status and shows one delivery with its attempts, without writing the store', async () => {
    const { dir } = await workspace();
    const dead = await run(['deliveries', 'list', '--status', 'dead'], { cwd: dir });
    expect(dead.code).toBe(0);
    expect(dead.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^desk\/evt_dead {2}dead +8 attempt\(s\) {2}whale\.detected {2}since 2026-11-21T12:00:00\.000Z {2}HTTP 503$/,
      ),
    ]);
    const all = await run(['deliveries', 'list', '--json'], { cwd: dir });
    expect((JSON.parse(all.stdout) as OutboxRecord[]).map((r) => r.id)).toEqual([
      'desk/evt_dead',
      'desk/evt_ok',
    ]);
    const shown = await run(['deliveries', 'show', 'desk/evt_dead'], { cwd: dir });
    expect(shown.stdout).toMatch(/#1 2026-11-21T10:01:00\.000Z {2}retry +HTTP 503 {2}12 ms\n {2}#2 /);
    expect((await run(['deliveries', 'list', '--status', 'lost'], { cwd: dir })).code).toBe(2);
  });

  it('retry --dead with no process running requeues in the store', async () => {
    const { dir, path } = await workspace();
    const r = await run(['deliveries', 'retry', '--dead'], { cwd: dir });
    expect(r).toMatchObject({
      code: 0,
      stdout: '1 delivery(ies) queued again; they are sent when spout run starts\n',
    });
    const outbox = (await readStoreFiles(path)).data.collections[COLLECTIONS.outbox] as Record<
      string,
      OutboxRecord
    >;
    expect(outbox['desk/evt_dead']).toMatchObject({ status: 'pending', attempts: 0 });
    expect(outbox['desk/evt_ok']).toMatchObject({ status: 'delivered' });
  });

  it('retry while spout run runs goes through the running process, which owns the store', async () => {
    const { dir, path } = await workspace();
    const p = start(['run'], { cwd: dir });
    await p.waitFor('Spout running');
    const r = await run(['deliveries', 'retry', 'desk/evt_dead'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: '1 delivery(ies) queued again\n' });
    await p.waitFor('deliveries retry: 1 delivery(ies) queued again');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    const outbox = (await readStoreFiles(path)).data.collections[COLLECTIONS.outbox] as Record<
      string,
      OutboxRecord
    >;
    expect(outbox['desk/evt_dead']).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

describe('spout deliveries retry through the request folder', () => {
  it('writes its request aside and renames it (never a partial request under its name), and removes the answer', async () => {
    const { dir, path } = await workspace();
    const p = start(['run'], { cwd: dir });
    await p.waitFor('Spout running');
    const folder = requestsDir(path);
    // An in-place write shows as a "change" of the request's own name; a rename does not.
    const events: Array<[string, string]> = [];
    const watcher = watch(folder, (event, name) => events.push([event, String(name)]));
    try {
      const r = await run(['deliveries', 'retry', '--dead'], { cwd: dir });
      expect(r).toMatchObject({ code: 0, stdout: '1 delivery(ies) queued again\n' });
      // Events arrive in order: once this one is seen, every earlier one has been.
      const barrier = new Promise<void>((resolve) =>
        watcher.on('change', (_event, name) => String(name) === 'barrier' && resolve()),
      );
      await writeFile(join(folder, 'barrier'), '');
      await barrier;
      await rm(join(folder, 'barrier'));
    } finally {
      watcher.close();
    }
    const names = new Set(events.map(([, name]) => name));
    expect([...names].filter((n) => n.endsWith('.json.tmp'))).toHaveLength(1);
    expect(events.filter(([event, name]) => event === 'change' && name.endsWith('.json'))).toEqual([]);
    // The answer was read and removed: nothing is left behind.
    expect(await readdir(folder)).toEqual([]);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });
});

describe('spout deliveries retry with an unknown id', () => {
  it('exits 1 and names it; a bare event id is accepted', async () => {
    const { dir, path } = await workspace();
    const bad = await run(['deliveries', 'retry', 'nope'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no delivery "nope"');
    const ok = await run(['deliveries', 'retry', 'evt_dead'], { cwd: dir });
    expect(ok.code).toBe(0);
    const outbox = (await readStoreFiles(path)).data.collections[COLLECTIONS.outbox] as Record<
      string,
      OutboxRecord
    >;
    expect(outbox['desk/evt_dead']).toMatchObject({ status: 'pending' });
  });
});
