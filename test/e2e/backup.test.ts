import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readStoreFiles, type Snapshot } from '../../src/store/file-format.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { COLLECTIONS, type OutcomeRecord, type PredictionRecord } from '../../src/store/records.js';
import type { OutboxRecord } from '../../src/delivery/outbox/record.js';
import { run, start, type Running } from '../helpers/cli.js';
import { newSecret, startReceiver, type Receiver } from '../helpers/receiver.js';

// The built CLI as child processes: `spout run` owning a store, `spout backup` beside it, then
// `spout restore` into a fresh folder and `spout run` over the restored store. Tokens are
// checked against the REST API (`api` job, Bearer) on 127.0.0.1.

const SECRET = 'e2e-backup-secret-never-print-me-0123456789abcdef';
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const spout = (args: string[], cwd: string, env: Record<string, string>): Running => {
  const p = start(args, { cwd, env });
  cleanups.push(() => p.child.kill('SIGKILL'));
  return p;
};

const txid = (n: number) => (0xb000 + n).toString(16).padStart(64, '0');
const whale = (n: number) => ({
  type: 'whale.detected',
  data: {
    txid: txid(n),
    valueSats: (150 + n) * 1e8,
    valueBtc: 150 + n,
    valueUsd: null,
    feeSats: 4_200,
    vsize: 210,
    feeRate: 20,
    status: 'pending',
    firstSeen: new Date().toISOString(),
    detectedAt: new Date().toISOString(),
    url: `https://mempool.space/tx/${txid(n)}`,
  },
});

/** Collections the backup must carry over exactly. */
const KEPT = [
  COLLECTIONS.tokens,
  COLLECTIONS.outbox,
  COLLECTIONS.deliveries,
  COLLECTIONS.predictions,
  COLLECTIONS.outcomes,
];
const pick = (data: Snapshot) => Object.fromEntries(KEPT.map((c) => [c, data.collections[c] ?? {}]));

function config(opts: { hook?: string; items?: unknown[] } = {}): string {
  return [
    'log: { level: info, format: json }',
    'http: { listen: "127.0.0.1:0" }',
    'storage: { path: ./data/spout.json }',
    'auth: { secret: "${SPOUT_AUTH_SECRET}" }',
    'inputs:',
    '  feed:',
    '    use: replay',
    ...(opts.items?.length ? [`    items: ${JSON.stringify(opts.items)}`] : []),
    ...(opts.hook
      ? [
          'outputs:',
          '  hook:',
          '    use: webhook',
          `    url: ${opts.hook}`,
          '    secret: ${HOOK_SECRET}',
          '    retry: [1h]',
          '    timeout: 1h',
        ]
      : []),
    'jobs:',
    '  api: { use: api }',
  ].join('\n');
}

/** A folder with config.yaml; its store (data/spout.json) seeded with predictions and outcomes when asked. */
async function workspace(text: string, seed = false) {
  const dir = await mkdtemp(join(tmpdir(), 'spout-backup-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'config.yaml'), text);
  const store = join(dir, 'data', 'spout.json');
  if (seed) {
    const s = await openLowdbStore({ path: store });
    const now = Date.now();
    for (const n of [1, 2]) {
      const at = new Date(now - n * 60_000).toISOString();
      s.collection<PredictionRecord>(COLLECTIONS.predictions).put(`p${n}`, {
        txid: `p${n}`,
        detectedAt: at,
        firstSeen: at,
        valueSats: n * 2e10,
        feeRate: 12,
        predictedBlocks: 2,
        urgencyLevel: 'medium',
        tipHeight: 900_000,
        tipTime: at,
      });
      s.collection<OutcomeRecord>(COLLECTIONS.outcomes).put(`o${n}`, {
        txid: `o${n}`,
        detectedAt: at,
        settledAt: at,
        status: 'confirmed',
        valueSats: n * 3e10,
        predictedBlocks: 2,
        urgencyLevel: 'high',
        score: 0.9,
        height: 900_001,
        minutesWaited: 11,
      });
    }
    await s.close();
  }
  return { dir, store };
}

const jtiOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;

async function createToken(dir: string, env: Record<string, string>, sub: string): Promise<string> {
  const r = await run(['token', 'create', '--sub', sub, '--ttl', '1h', '--scope', 'api:read'], {
    cwd: dir,
    env,
  });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

const portOf = (p: Running) => /http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1];
const api = (port: string | undefined, token: string) =>
  fetch(`http://127.0.0.1:${port}/api/whales`, { headers: { authorization: `Bearer ${token}` } }).then(
    (r) => r.status,
  );

/** Poll (every 20 ms) until `cond` holds; the last value is returned. */
async function until<T>(read: () => Promise<T> | T, cond: (v: T) => boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (cond(v)) return v;
    if (Date.now() > end) throw new Error(`never: ${what}\nlast: ${JSON.stringify(v, null, 2)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every file under `dir` with its content, for "nothing was touched". */
async function filesOf(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()))
    out[join(name.parentPath, name.name)] = await readFile(join(name.parentPath, name.name), 'utf8');
  return out;
}

describe('spout backup / spout restore (built CLI)', () => {
  it('backs up a running spout with deliveries in flight and a revoked token; the restored store starts with everything, and the revoked token is still refused', async () => {
    const hookSecret = newSecret();
    const env = { SPOUT_AUTH_SECRET: SECRET, HOOK_SECRET: hookSecret };
    // The first two requests get 503 (retried in an hour), the others hang: deliveries in flight.
    let n = 0;
    const rx: Receiver = await startReceiver(hookSecret, () => (++n <= 2 ? { status: 503 } : { hang: true }));
    cleanups.push(() => rx.close());
    const a = await workspace(config({ hook: rx.url, items: [1, 2, 3, 4].map(whale) }), true);
    const leaked = await createToken(a.dir, env, 'leaked'); // into the store: nothing runs yet
    const p = spout(['run'], a.dir, env);
    await p.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    const kept = await createToken(a.dir, env, 'kept'); // through the running process
    const revoke = await run(['token', 'revoke', jtiOf(leaked)], { cwd: a.dir, env });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await api(portOf(p), leaked)).toBe(401);
    expect(await api(portOf(p), kept)).toBe(200);
    await until(
      () => rx.requests.length,
      (k) => k >= 4,
      'four webhook requests (two 503, two hanging)',
    );
    const live = await until(
      async () => (await readStoreFiles(a.store)).data,
      (d) =>
        Object.values((d.collections[COLLECTIONS.outbox] ?? {}) as Record<string, OutboxRecord>).filter(
          (r) => r.lastStatus === 503,
        ).length === 2,
      'two deliveries failed once, on disk',
    );
    // Most of the state is in the journal, not in spout.json: a copy of spout.json alone lacks it.
    const bare = JSON.parse(await readFile(a.store, 'utf8')) as Snapshot;
    expect(bare.collections[COLLECTIONS.tokens]).toBeUndefined();

    const backupFile = join(a.dir, 'backup.json');
    const b = await run(['backup', backupFile], { cwd: a.dir, env });
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^backup of \d+ document\(s\) written to .*backup\.json \(.*tokens 2/);
    await p.waitFor('backup: snapshot of');
    // Taken by the running process: its request and the staged snapshot are gone.
    expect(await readdir(`${a.store}.requests`)).toEqual([]);
    const backup = JSON.parse(await readFile(backupFile, 'utf8')) as Snapshot & { backup: unknown };
    expect(backup).toMatchObject({ spout: 1, backup: { format: 1 } });
    expect(pick(backup)).toEqual(pick(live));
    const outbox = Object.values(backup.collections[COLLECTIONS.outbox] as Record<string, OutboxRecord>);
    expect(outbox.map((r) => r.status)).toEqual(Array(4).fill('pending'));
    expect(Object.keys(backup.collections[COLLECTIONS.deliveries] ?? {})).toHaveLength(2);
    expect(Object.keys(backup.collections[COLLECTIONS.predictions] ?? {})).toHaveLength(2);
    expect(Object.keys(backup.collections[COLLECTIONS.outcomes] ?? {})).toHaveLength(2);
    expect(b.stdout + b.stderr + p.stderr()).not.toContain(SECRET);
    p.child.kill('SIGKILL');
    await p.exited;

    // A fresh folder: restore, then start. No webhook output, so the outbox stays as it was.
    const c = await workspace(config());
    const r = await run(['restore', backupFile], { cwd: c.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^restored \d+ document\(s\) from .*backup\.json .* into .*spout\.json\. Start spout run\.\n$/,
    );
    expect(pick((await readStoreFiles(c.store)).data)).toEqual(pick(backup));
    const q = spout(['run'], c.dir, env);
    await q.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    expect(await api(portOf(q), leaked)).toBe(401);
    expect(await api(portOf(q), kept)).toBe(200);
    const list = await run(['token', 'list'], { cwd: c.dir, env });
    expect(list.stdout).toMatch(new RegExp(`${jtiOf(leaked)}\\s+revoked\\s+leaked`));
    expect(list.stdout).toMatch(new RegExp(`${jtiOf(kept)}\\s+active\\s+kept`));
    q.child.kill('SIGTERM');
    expect((await q.exited).code).toBe(0);
    expect(pick((await readStoreFiles(c.store)).data)).toEqual(pick(backup));
  }, 40_000);

  it('backs up a stopped spout from its files (journal included); restore keeps the replaced files aside', async () => {
    const env = { SPOUT_AUTH_SECRET: SECRET };
    const a = await workspace(config(), true);
    const token = await createToken(a.dir, env, 'solo');
    expect((await run(['token', 'revoke', jtiOf(token)], { cwd: a.dir, env })).code).toBe(0);
    const before = await filesOf(a.dir);
    const b = await run(['backup', a.dir], { cwd: a.dir, env }); // a folder: the file is named by time
    expect(b.code, b.stderr).toBe(0);
    const written = /written to (\S+spout-backup-[\dTZ-]+\.json)/.exec(b.stdout)?.[1] as string;
    expect(written).toBeDefined();
    // Reading changed nothing in the store.
    for (const [file, text] of Object.entries(before)) expect(await readFile(file, 'utf8')).toBe(text);
    const original = (await readStoreFiles(a.store)).data;
    expect(pick(original)[COLLECTIONS.tokens]).toHaveProperty(jtiOf(token));

    // Restore over an existing store with other data: replaced, the old files kept aside.
    const c = await workspace(config(), true);
    await createToken(c.dir, env, 'other');
    const r = await run(['restore', written], { cwd: c.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /the previous files are kept as \S+spout\.json\.journal\.before-restore-\S+, \S+spout\.json\.before-restore-/,
    );
    expect((await readStoreFiles(c.store)).data).toEqual(original);
    const q = spout(['run'], c.dir, env);
    await q.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    expect(await api(portOf(q), token)).toBe(401);
    q.child.kill('SIGTERM');
    expect((await q.exited).code).toBe(0);
  }, 30_000);

  it('restore refuses while a spout runs on the target, and changes nothing', async () => {
    const env = { SPOUT_AUTH_SECRET: SECRET };
    const a = await workspace(config(), true);
    const b = await run(['backup', join(a.dir, 'b.json')], { cwd: a.dir, env });
    expect(b.code, b.stderr).toBe(0);
    const c = await workspace(config(), true);
    const p = spout(['run'], c.dir, env);
    await p.waitFor('Spout running');
    const data = join(c.dir, 'data');
    const before = await filesOf(data);
    const r = await run(['restore', join(a.dir, 'b.json')], { cwd: c.dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^spout restore: a running spout \(pid in .*spout\.json\.pid\) owns the store .*Nothing was changed.*SPOUT_STORE_IN_USE/,
    );
    expect(await filesOf(data)).toEqual(before);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 30_000);

  it('restore of a corrupt or non-backup file exits 1 with a clear message and touches nothing', async () => {
    const env = { SPOUT_AUTH_SECRET: SECRET };
    const a = await workspace(config(), true);
    const good = join(a.dir, 'good.json');
    expect((await run(['backup', good], { cwd: a.dir, env })).code).toBe(0);
    const text = await readFile(good, 'utf8');
    const bad = {
      'truncated.json': [text.slice(0, Math.floor(text.length / 2)), /it is not complete JSON/],
      'bare-copy.json': [await readFile(a.store, 'utf8'), /has no backup header/],
      'other.json': ['{"hello":"world"}', /it is not Spout data/],
      'tampered.json': [text.replace('"confirmed"', '"dropped"'), /does not match its checksum/],
      'binary.json': ['\u0000\u0001garbage', /not complete JSON/],
    } as const;
    const c = await workspace(config(), true);
    const before = await filesOf(c.dir);
    for (const [name, [content, why]] of Object.entries(bad)) {
      await writeFile(join(a.dir, name), content);
      const r = await run(['restore', join(a.dir, name)], { cwd: c.dir, env });
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(why);
      expect(r.stderr, name).toMatch(
        /is not a usable Spout backup: .*Nothing was changed.*\(SPOUT_BACKUP_INVALID\)\n$/,
      );
    }
    const missing = await run(['restore', join(a.dir, 'nope.json')], { cwd: c.dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot be read \(ENOENT\)/);
    expect(await filesOf(c.dir)).toEqual(before);
    // Usage errors.
    expect((await run(['restore'], { cwd: c.dir, env })).code).toBe(2);
    expect((await run(['backup'], { cwd: c.dir, env })).code).toBe(2);
    expect((await run(['backup', join(c.dir, 'data', 'spout.json')], { cwd: c.dir, env })).code).toBe(2);
  }, 30_000);
});
