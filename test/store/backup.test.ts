import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseBackupRequest,
  parseControlRequest,
  requestsDir,
  startControl,
  stagedBackup,
  type BackupAnswer,
} from '../../src/cli/control.js';
import { pidFile } from '../../src/control/pid.js';
import { awaitAnswer, writeRequest } from '../../src/control/writer.js';
import { backupText, readBackupFile, restoreStore, snapshotOf } from '../../src/store/backup.js';
import { readStoreFiles } from '../../src/store/file-format.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { captureLog } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function folder() {
  const root = await mkdtemp(join(tmpdir(), 'spout-backup-unit-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  return root;
}

const data = {
  spout: 1 as const,
  collections: {
    tokens: { a: { jti: 'a', revokedAt: '2026-01-01T00:00:00.000Z' } },
    outbox: { '10': { n: 1 }, x: { n: 2 } },
  },
};

describe('backup files', () => {
  it('round-trips: what backupText writes, readBackupFile returns, with counts and checksum', async () => {
    const root = await folder();
    const file = join(root, 'b.json');
    await writeFile(file, backupText(data, '/var/lib/spout/spout.json', new Date('2026-12-01T00:00:00Z')));
    const { data: read, header } = await readBackupFile(file);
    expect(read).toEqual(data);
    expect(header).toMatchObject({
      format: 1,
      createdAt: '2026-12-01T00:00:00.000Z',
      store: '/var/lib/spout/spout.json',
      counts: { tokens: 1, outbox: 2 },
    });
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses files that are not complete, intact backups', async () => {
    const root = await folder();
    const good = backupText(data, 'x');
    const cases: Array<[string, RegExp]> = [
      [good.slice(0, -10), /not complete JSON/],
      [JSON.stringify(data), /no backup header/],
      ['[]', /not Spout data/],
      [good.replace('"n":2', '"n":3'), /does not match its checksum/],
      [good.replace('"tokens":1', '"tokens":2'), /does not hold the number of documents/],
    ];
    for (const [text, why] of cases) {
      const file = join(root, 'bad.json');
      await writeFile(file, text);
      await expect(readBackupFile(file)).rejects.toMatchObject({
        code: 'SPOUT_BACKUP_INVALID',
        message: expect.stringMatching(why),
      });
    }
  });

  it('parses only backup requests', () => {
    expect(parseBackupRequest('{"type":"backup"}')).toEqual({ type: 'backup' });
    expect(parseBackupRequest('{"type":"deliveries.retry","dead":true}')).toBeNull();
    expect(parseBackupRequest('{')).toBeNull();
    expect(parseControlRequest('{"type":"backup"}')).toEqual({ type: 'backup' });
    expect(parseControlRequest('{"type":"deliveries.retry","dead":true}')).toEqual({
      type: 'deliveries.retry',
      dead: true,
    });
    expect(parseControlRequest('{"type":"other"}')).toBeNull();
  });
});

describe('restoreStore', () => {
  it('replaces snapshot and journal, keeps the old ones aside, and the store opens with the restored data', async () => {
    const root = await folder();
    const path = join(root, 'spout.json');
    const old = await openLowdbStore({ path });
    old.collection('tokens').put('old', { jti: 'old' });
    await old.close();
    expect(existsSync(`${path}.journal`)).toBe(true);
    const { kept } = await restoreStore(path, data, new Date('2026-12-01T00:00:00Z'));
    expect(kept).toEqual([
      `${path}.journal.before-restore-2026-12-01T00-00-00-000Z`,
      `${path}.before-restore-2026-12-01T00-00-00-000Z`,
    ]);
    expect(existsSync(`${path}.journal`)).toBe(false);
    expect((await readStoreFiles(path)).data).toEqual(data);
    expect((await readStoreFiles(kept[1] as string)).data.collections).toEqual({}); // the old snapshot alone
    const store = await openLowdbStore({ path });
    expect([...store.collection('tokens').entries()]).toEqual([['a', data.collections.tokens.a]]);
    await store.close();
  });

  it('moves a journal left mid-compaction aside too: it is never replayed over the restored snapshot', async () => {
    const root = await folder();
    const path = join(root, 'spout.json');
    await writeFile(path, '{"spout":1,"collections":{}}');
    await writeFile(`${path}.journal.compacting`, '{"c":"tokens","i":"stale","d":{"jti":"stale"}}\n');
    const { kept } = await restoreStore(path, data, new Date('2026-12-01T00:00:00Z'));
    expect(kept).toContain(`${path}.journal.compacting.before-restore-2026-12-01T00-00-00-000Z`);
    expect(existsSync(`${path}.journal.compacting`)).toBe(false);
    expect((await readStoreFiles(path)).data).toEqual(data);
  });

  it('restores into a folder that does not exist yet', async () => {
    const root = await folder();
    const path = join(root, 'new', 'data', 'spout.json');
    expect(await restoreStore(path, data)).toEqual({ kept: [] });
    expect((await readStoreFiles(path)).data).toEqual(data);
  });

  it('refuses while the pid file names a live process, changing nothing', async () => {
    const root = await folder();
    const path = join(root, 'spout.json');
    await writeFile(path, '{"spout":1,"collections":{}}');
    await writeFile(pidFile(path), String(process.pid));
    await expect(restoreStore(path, data)).rejects.toMatchObject({ code: 'SPOUT_STORE_IN_USE' });
    expect((await readdir(root)).sort()).toEqual(['spout.json', 'spout.json.pid']);
    expect(await readFile(path, 'utf8')).toBe('{"spout":1,"collections":{}}');
  });
});

describe('the control loop answers backup requests', () => {
  it('flushes, writes the in-memory snapshot beside the request (mode 0600) and answers with its name; retries still work', async () => {
    const root = await folder();
    const path = join(root, 'spout.json');
    const store = createMemoryStore();
    store.collection('tokens').put('a', { jti: 'a' });
    const log = captureLog();
    const stop = await startControl(path, store, log.log, { intervalMs: 5 });
    cleanups.push(stop);
    const file = await writeRequest(requestsDir(path), { type: 'backup' });
    const answer = await awaitAnswer<BackupAnswer>(file, 5_000);
    expect(answer).toMatchObject({
      file: stagedBackup(file).slice(requestsDir(path).length + 1),
      documents: 1,
    });
    const staged = join(requestsDir(path), (answer as BackupAnswer).file);
    expect((await stat(staged)).mode & 0o777).toBe(0o600);
    const { data: read } = await readBackupFile(staged);
    expect(read).toEqual(snapshotOf(store));
    const retry = await writeRequest(requestsDir(path), { type: 'deliveries.retry', dead: true });
    expect(await awaitAnswer(retry, 5_000)).toEqual({ requeued: 0 });
  });
});
