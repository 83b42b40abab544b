import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { eventId } from '../../src/bus/envelope.js';
import { readStoreFiles } from '../../src/store/file-format.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { OutboxRecord } from '../../src/delivery/outbox/record.js';
import { run, start, type Running } from '../helpers/cli.js';
import { childEnv } from '../helpers/env.js';
import { newSecret, startReceiver, type Received, type Receiver } from '../helpers/receiver.js';

// The built CLI as a child process (`spout run`, `spout deliveries …`, `spout check`), a real
// receiver on 127.0.0.1 in this process verifying every request with `standardwebhooks`, and
// the store as it is on disk (snapshot + journal) read between steps. No sleeps: every wait is
// for something observable (a log line, a request, a record on disk).

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
  const rx = await startReceiver(...args);
  cleanups.push(() => rx.close());
  return rx;
};
const spout = (args: string[], cwd: string, env: Record<string, string>): Running => {
  const p = start(args, { cwd, env });
  cleanups.push(() => p.child.kill('SIGKILL'));
  return p;
};

const txid = (n: number) => (0xa000 + n).toString(16).padStart(64, '0');

/** A whale signal as the detector chain publishes it (docs/events.md). */
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
    firstSeen: '2026-11-21T10:00:00.000Z',
    detectedAt: '2026-11-21T10:00:00.012Z',
    url: `https://mempool.space/tx/${txid(n)}`,
  },
});

/** The event id, computed as docs/events.md says: it must be the `webhook-id`. */
const eventIdOf = (n: number) =>
  'evt_' +
  createHash('sha256')
    .update(`whale.detected\0${txid(n)}`)
    .digest('hex')
    .slice(0, 32);

/** A config with a replay input (these items; none for a restart) and one webhook output `hook`. */
function yaml(url: string, items: unknown[], hook: string[] = []): string {
  return [
    'log: { level: debug, format: json }',
    'http: { enabled: false }',
    'storage: { path: ./spout.json }',
    'inputs:',
    '  feed:',
    '    use: replay',
    ...(items.length > 0 ? [`    items: ${JSON.stringify(items)}`] : []),
    'outputs:',
    '  hook:',
    '    use: webhook',
    `    url: ${url}`,
    '    secret: ${HOOK_SECRET}',
    ...hook.map((l) => `    ${l}`),
  ].join('\n');
}

async function workspace(prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), `spout-webhook-${prefix}-`));
  return { dir, config: join(dir, 'config.yaml'), store: join(dir, 'spout.json') };
}

/** The outbox as it is on disk, by record id. */
async function outboxOnDisk(path: string): Promise<Record<string, OutboxRecord>> {
  const { data } = await readStoreFiles(path);
  return (data.collections[COLLECTIONS.outbox] ?? {}) as Record<string, OutboxRecord>;
}

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

const idOf = (r: Received) => String(r.headers['webhook-id']);
const deliveredOk = (rx: Receiver, id: string) =>
  rx.requests.some((r) => idOf(r) === id && r.verified && r.status === 200);

describe('webhook output (built CLI, receiver on 127.0.0.1 verifying with standardwebhooks)', () => {
  it('SIGKILL the process while deliveries are pending; restart: every pending delivery is made, none lost; the receiver sees each webhook-id delivered successfully at least once', async () => {
    const secret = newSecret();
    const env = { HOOK_SECRET: secret };
    const ids = [1, 2, 3, 4, 5, 6].map(eventIdOf);
    // Phase 1: the first three requests get 503 (retried on the default schedule, about 5 s
    // later), every later one hangs. With concurrency 4 that leaves three records failed once and
    // waiting, and three in flight when the process is killed.
    let phase1 = 0;
    const rx = await receiver(secret, () => (++phase1 <= 3 ? { status: 503 } : { hang: true }));
    const ws = await workspace('kill');
    await writeFile(ws.config, yaml(rx.url, [1, 2, 3, 4, 5, 6].map(whale)));

    const first = spout(['run'], ws.dir, env);
    await until(
      () => rx.requests.length,
      (n) => n >= 6,
      'six requests (three answered 503, three hanging)',
    );
    const before = await until(
      () => outboxOnDisk(ws.store),
      (o) =>
        Object.keys(o).length === 6 &&
        Object.values(o).filter((r) => r.status === 'pending' && r.attempts === 1 && r.lastStatus === 503)
          .length === 3,
      'six outbox records on disk, three after a 503',
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // What survived the kill: every event, pending, none delivered.
    const onDisk = await outboxOnDisk(ws.store);
    expect(Object.keys(before).sort()).toEqual(ids.map((id) => `hook/${id}`).sort());
    expect(Object.values(onDisk).map((r) => r.status)).toEqual(Array(6).fill('pending'));
    expect(
      Object.values(onDisk)
        .map((r) => r.attempts)
        .sort(),
    ).toEqual([0, 0, 0, 1, 1, 1]);
    expect(rx.requests.every((r) => r.verified)).toBe(true);
    const seenBefore = rx.requests.length;
    expect(new Set(rx.requests.map(idOf))).toEqual(new Set(ids));

    // Phase 2: the receiver accepts; the same store, a replay input with nothing to publish.
    rx.script([{ status: 200 }]);
    await writeFile(ws.config, yaml(rx.url, []));
    const second = spout(['run'], ws.dir, env);
    await second.waitFor('resuming 6 pending webhook deliveries');
    const after = await until(
      () => outboxOnDisk(ws.store),
      (o) => Object.values(o).filter((r) => r.status === 'delivered').length === 6,
      'all six delivered on disk',
      15_000,
    );
    await until(() => ids.every((id) => deliveredOk(rx, id)), Boolean, 'each webhook-id answered 200');
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    // Every webhook-id arrived verified and was accepted at least once.
    for (const id of ids) expect(deliveredOk(rx, id), id).toBe(true);
    expect(rx.requests.every((r) => r.verified)).toBe(true);
    // The same id and the same signed body on every attempt, before and after the kill.
    expect(new Set(rx.requests.slice(seenBefore).map(idOf))).toEqual(new Set(ids));
    for (const id of ids) {
      const bodies = new Set(rx.requests.filter((r) => idOf(r) === id).map((r) => r.body));
      expect(bodies.size).toBe(1);
      expect(JSON.parse([...bodies][0]!)).toMatchObject({ id, type: 'whale.detected', source: 'feed' });
    }
    // The store: all delivered. A request cut off by the kill was not an attempt: those records
    // were delivered on attempt 1, the 503 ones on attempt 2.
    expect(Object.values(after).map((r) => [r.status, r.lastStatus])).toEqual(
      Array(6).fill(['delivered', 200]),
    );
    expect(
      Object.values(after)
        .map((r) => r.attempts)
        .sort(),
    ).toEqual([1, 1, 1, 2, 2, 2]);
    for (const text of [first.stdout(), first.stderr(), second.stdout(), second.stderr()])
      expect(text).not.toContain(secret.slice('whsec_'.length));
  });

  it('a dead delivery is listed by `spout deliveries list --status dead` and delivered by `spout deliveries retry`', async () => {
    const secret = newSecret();
    const env = { HOOK_SECRET: secret };
    const rx = await receiver(secret, [{ status: 500 }]);
    const ws = await workspace('dead');
    await writeFile(ws.config, yaml(rx.url, [whale(1), whale(2)], ['retry: [100ms]']));
    const [one, two] = [`hook/${eventIdOf(1)}`, `hook/${eventIdOf(2)}`];

    const p = spout(['run'], ws.dir, env);
    await p.waitFor('Spout running');
    await until(
      () => outboxOnDisk(ws.store),
      (o) => o[one]?.status === 'dead' && o[two]?.status === 'dead',
      'both deliveries dead on disk',
    );
    await p.waitFor('webhook delivery dead after 2 attempts (HTTP 500); kept for a retry');

    // Listed by another process while spout run owns the store.
    const dead = await run(['deliveries', 'list', '--status', 'dead'], { cwd: ws.dir, env });
    expect(dead.code).toBe(0);
    const deadLine = (id: string) =>
      new RegExp(`^${id} {2}dead +2 attempt\\(s\\) {2}whale\\.detected {2}since \\S+ {2}HTTP 500$`);
    expect(dead.stdout.trim().split('\n').sort()).toEqual(
      [one, two].sort().map((id) => expect.stringMatching(deadLine(id))),
    );
    expect(rx.requests.filter((r) => r.verified && r.status === 500)).toHaveLength(4);

    // The receiver is fixed; one delivery is retried by id, then the rest with --dead.
    rx.script([{ status: 200 }]);
    const byId = await run(['deliveries', 'retry', one], { cwd: ws.dir, env });
    expect(byId).toMatchObject({ code: 0, stdout: '1 delivery(ies) queued again\n' });
    await until(
      () => outboxOnDisk(ws.store),
      (o) => o[one]?.status === 'delivered',
      `${one} delivered on disk`,
    );
    expect(deliveredOk(rx, eventIdOf(1))).toBe(true);
    const stillDead = await run(['deliveries', 'list', '--status', 'dead'], { cwd: ws.dir, env });
    expect(stillDead.stdout.trim().split('\n')).toEqual([expect.stringMatching(deadLine(two))]);

    const all = await run(['deliveries', 'retry', '--dead'], { cwd: ws.dir, env });
    expect(all).toMatchObject({ code: 0, stdout: '1 delivery(ies) queued again\n' });
    await until(
      () => outboxOnDisk(ws.store),
      (o) => o[two]?.status === 'delivered',
      `${two} delivered on disk`,
    );
    expect(deliveredOk(rx, eventIdOf(2))).toBe(true);

    const delivered = await run(['deliveries', 'list', '--status', 'delivered'], { cwd: ws.dir, env });
    expect(delivered.code).toBe(0);
    expect(delivered.stdout.trim().split('\n').sort()).toEqual(
      [one, two]
        .sort()
        .map((id) =>
          expect.stringMatching(
            new RegExp(`^${id} {2}delivered +1 attempt\\(s\\) {2}whale\\.detected {2}at \\S+ {2}HTTP 200$`),
          ),
        ),
    );
    expect((await run(['deliveries', 'list', '--status', 'dead'], { cwd: ws.dir, env })).stdout).toBe(
      'no deliveries match (2 stored)\n',
    );
    // The delivery log keeps every attempt, numbering on after the requeue.
    const shown = await run(['deliveries', 'show', one], { cwd: ws.dir, env });
    // A header for the event, then each output's delivery (one here) with its attempts.
    expect(shown.stdout.trim().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^hook\/evt_\w+ {2}delivered +1 attempt\(s\) /),
      expect.stringMatching(/^ {2}#1 \S+ {2}retry +HTTP 500 /),
      expect.stringMatching(/^ {2}#2 \S+ {2}dead +HTTP 500 /),
      expect.stringMatching(/^ {2}#3 \S+ {2}delivered +HTTP 200 /),
    ]);
    // Three requests per delivery, every one verified and with the same webhook-id.
    for (const n of [1, 2]) {
      const seen = rx.requests.filter((r) => idOf(r) === eventIdOf(n));
      expect(seen.map((r) => [r.verified, r.status])).toEqual([
        [true, 500],
        [true, 500],
        [true, 200],
      ]);
    }
    await p.waitFor('deliveries retry: 1 delivery(ies) queued again');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  describe('a secret in the wrong format: spout check exits 2 with line:column, never the value', () => {
    const good = newSecret();
    const cases: Array<[string, string, Record<string, string>, RegExp]> = [
      [
        'not whsec_',
        'secret: hunter2-is-my-password',
        {},
        /^config\.yaml:11:13 {2}outputs\.hook\.secret {2}.*whsec_/,
      ],
      [
        'not base64',
        'secret: "whsec_abc!def"',
        {},
        /^config\.yaml:11:13 {2}outputs\.hook\.secret {2}.*whsec_/,
      ],
      [
        'a bad one in a list',
        `secret: [${good}, hunter2-is-my-password]`,
        {},
        new RegExp(
          `^config\\.yaml:11:${16 + good.length} {2}outputs\\.hook\\.secret(\\.1|\\[1\\]) {2}.*whsec_`,
        ),
      ],
      [
        'given through ${VAR}',
        'secret: ${HOOK_SECRET}',
        { HOOK_SECRET: 'hunter2-is-my-password' },
        /^config\.yaml:11:13 {2}outputs\.hook\.secret {2}.*whsec_/,
      ],
      [
        'whsec_ and base64 but too short (18 bytes)',
        'secret: whsec_aHVudGVyMi1pcy1teS1wYXNz',
        {},
        // Found by the plugin's own check (the schema's pattern allows it), located all the same.
        /^config\.yaml:11:13 {2}outputs\.hook\.secret {2}must be a Standard Webhooks secret: "whsec_" followed by base64 \(24–64 bytes\)/,
      ],
      [
        'too short, in a list',
        `secret: [${good}, whsec_aHVudGVyMi1pcy1teS1wYXNz]`,
        {},
        new RegExp(
          `^config\\.yaml:11:${16 + good.length} {2}outputs\\.hook\\.secret\\.1 {2}must be a Standard Webhooks secret`,
        ),
      ],
    ];
    it.each(cases)('%s', async (_what, line, env, expected) => {
      const ws = await workspace('secret');
      const text = yaml('https://example.com/hook', [], []).replace('secret: ${HOOK_SECRET}', line);
      await writeFile(ws.config, text);
      const { code, stdout, stderr } = await run(['check'], { cwd: ws.dir, env });
      expect(code, stdout + stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toEqual([
        'spout: 1 problem in the configuration:',
        expect.stringMatching(expected),
      ]);
      for (const leaked of ['hunter2', 'aHVudGVyMi1pcy1teS1wYXNz', 'abc!def'])
        expect(stdout + stderr).not.toContain(leaked);
    });
  });

  describe('docs/webhooks.md', () => {
    const DOC = fileURLToPath(new URL('../../docs/webhooks.md', import.meta.url));
    /** The js block that follows `<!-- example: NAME -->`. */
    const example = async (name: string) => {
      const m = new RegExp(
        `<!-- example: ${name.replace('.', '\\.')} -->\\s*\`\`\`js\\n([\\s\\S]*?)\`\`\``,
      ).exec(await readFile(DOC, 'utf8'));
      if (!m?.[1]) throw new Error(`docs/webhooks.md has no example block ${name}`);
      return m[1];
    };
    const SECRETS = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'];

    it('shows a request that really verifies with its two secrets, by standardwebhooks and by the hand-written verify', async () => {
      const text = await readFile(DOC, 'utf8');
      const block = /```http\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
      const [head = '', body = ''] = block.split('\n\n');
      const headers = Object.fromEntries(
        head
          .split('\n')
          .slice(1)
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      );
      const b = body.trimEnd();
      const envelope = JSON.parse(b) as { id: string; type: 'whale.detected'; data: { txid: string } };
      expect(headers['content-length']).toBe(String(Buffer.byteLength(b)));
      expect(headers['webhook-id']).toBe(envelope.id);
      expect(envelope.id).toBe(eventId('whale.detected', envelope.data.txid));
      const at = new Date(Number(headers['webhook-timestamp']) * 1000);
      expect(headers['webhook-signature']).toBe(
        SECRETS.map((s) => new Webhook(s).sign(envelope.id, at, b)).join(' '),
      );

      const dir = await mkdtemp(join(tmpdir(), 'spout-webhook-doc-'));
      await writeFile(join(dir, 'verify.mjs'), await example('verify.mjs'));
      const { verify } = (await import(pathToFileURL(join(dir, 'verify.mjs')).href)) as {
        verify(secret: string, headers: Record<string, string>, body: string, now?: number): boolean;
      };
      const ts = at.getTime() / 1000;
      for (const secret of SECRETS) {
        expect(verify(secret, headers, b, ts + 60)).toBe(true);
        expect(verify(secret, headers, b.replace('"valueBtc":115.5', '"valueBtc":915.5'), ts)).toBe(false);
        expect(verify(secret, headers, b, ts + 301)).toBe(false);
        expect(verify(secret, { ...headers, 'webhook-timestamp': String(ts + 1) }, b, ts)).toBe(false);
      }
      expect(verify(newSecret(), headers, b, ts)).toBe(false);
    });

    it('has a receiver that accepts what Spout sends, once per webhook-id, and refuses a forgery', async () => {
      const secret = newSecret();
      const dir = await mkdtemp(join(tmpdir(), 'spout-webhook-doc-'));
      await writeFile(join(dir, 'receiver.mjs'), await example('receiver.mjs'));
      await symlink(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(dir, 'node_modules'));
      const child = spawn(process.execPath, [join(dir, 'receiver.mjs')], {
        cwd: dir,
        env: childEnv({ SPOUT_WEBHOOK_SECRET: secret, PORT: '0' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push(() => child.kill('SIGKILL'));
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const port = Number(
        (await until(() => /listening on port (\d+)/.exec(out), Boolean, 'the receiver listening'))?.[1],
      );
      const url = `http://127.0.0.1:${port}/hook`;

      const ws = await workspace('doc');
      await writeFile(ws.config, yaml(url, [whale(1), whale(2)]));
      const p = spout(['run'], ws.dir, { HOOK_SECRET: secret });
      await until(
        () => outboxOnDisk(ws.store),
        (o) => Object.values(o).filter((r) => r.status === 'delivered' && r.lastStatus === 204).length === 2,
        'both delivered to the documented receiver',
      );
      p.child.kill('SIGTERM');
      expect((await p.exited).code).toBe(0);
      const body = (await outboxOnDisk(ws.store))[`hook/${eventIdOf(1)}`]?.body ?? '';
      expect(body).toContain('"valueBtc":151,');

      // A duplicate (a retry after a lost answer) is accepted and not processed again; a forgery
      // and an old request are refused.
      const post = (headers: Record<string, string>, b = body) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
      const signed = (at: Date, key = secret) => ({
        'webhook-id': eventIdOf(1),
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(key).sign(eventIdOf(1), at, body),
      });
      expect((await post(signed(new Date()))).status).toBe(204);
      expect((await post(signed(new Date()), body.replace('"valueBtc":151', '"valueBtc":951'))).status).toBe(
        400,
      );
      expect((await post(signed(new Date(), newSecret()))).status).toBe(400);
      expect((await post(signed(new Date(Date.now() - 10 * 60_000)))).status).toBe(400);
      expect(out.trim().split('\n').slice(1).sort()).toEqual(
        [1, 2].map((n) => `whale.detected ${txid(n)} (${eventIdOf(n)})`).sort(),
      );
    });
  });
});
