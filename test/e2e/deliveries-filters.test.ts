import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { COLLECTIONS } from '../../src/store/records.js';
import type { DeliveryAttempt, OutboxRecord } from '../../src/delivery/outbox/record.js';
import { run } from '../helpers/cli.js';

// Dates relative to now (the CLI child shares the test's clock, faketime included).
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const H = 3_600_000;

function record(
  instance: string,
  eventId: string,
  status: OutboxRecord['status'],
  createdAt: string,
): OutboxRecord {
  return {
    id: `${instance}/${eventId}`,
    instance,
    channel: 'webhook',
    eventId,
    eventType: 'whale.detected',
    body: '{}',
    status,
    attempts: 1,
    createdAt,
    updatedAt: createdAt,
    nextAttemptAt: null,
    ...(status === 'delivered' ? { deliveredAt: createdAt, lastStatus: 200 } : { lastStatus: 503 }),
  };
}

/** Five deliveries of four events to two outputs (desk, hook), 5 h to 10 min old. */
async function workspace() {
  const dir = await mkdtemp(join(tmpdir(), 'spout-deliveries-filters-'));
  const store = await openLowdbStore({ path: join(dir, 'spout.json') });
  const outbox = store.collection<OutboxRecord>(COLLECTIONS.outbox);
  const rows = [
    record('desk', 'evt_old', 'delivered', ago(5 * H)),
    record('hook', 'evt_dead', 'dead', ago(3 * H)),
    record('desk', 'evt_both', 'delivered', ago(1 * H)),
    record('hook', 'evt_both', 'dead', ago(1 * H)),
    record('desk', 'evt_new', 'pending', ago(H / 6)),
  ];
  for (const r of rows) outbox.put(r.id, r);
  const attempts: DeliveryAttempt[] = [
    {
      id: 'desk/evt_both#1',
      outboxId: 'desk/evt_both',
      instance: 'desk',
      attempt: 1,
      createdAt: ago(H),
      statusCode: 200,
      latencyMs: 7,
      outcome: 'delivered',
    },
    {
      id: 'hook/evt_both#1',
      outboxId: 'hook/evt_both',
      instance: 'hook',
      attempt: 1,
      createdAt: ago(H),
      statusCode: 503,
      latencyMs: 9,
      outcome: 'retry',
    },
    {
      id: 'hook/evt_both#2',
      outboxId: 'hook/evt_both',
      instance: 'hook',
      attempt: 2,
      createdAt: ago(H / 2),
      error: 'connect ECONNREFUSED',
      latencyMs: 3,
      outcome: 'dead',
    },
  ];
  for (const a of attempts) store.collection<DeliveryAttempt>(COLLECTIONS.deliveries).put(a.id, a);
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
  return dir;
}

const ids = (stdout: string) => (JSON.parse(stdout) as OutboxRecord[]).map((r) => r.id);

describe('spout deliveries list filters (built CLI)', () => {
  it('--output, --status and --since (a duration or a date) narrow the list, oldest first', async () => {
    const dir = await workspace();
    const list = (...args: string[]) => run(['deliveries', 'list', '--json', ...args], { cwd: dir });
    const hook = await list('--output', 'hook');
    expect(hook.code, hook.stderr).toBe(0);
    expect(ids(hook.stdout)).toEqual(['hook/evt_dead', 'hook/evt_both']);
    expect(ids((await list('--since', '2h')).stdout)).toEqual([
      'desk/evt_both',
      'hook/evt_both',
      'desk/evt_new',
    ]);
    const twoHoursAgo = ago(2 * H).slice(0, 19) + 'Z';
    expect(ids((await list('--since', twoHoursAgo)).stdout)).toEqual([
      'desk/evt_both',
      'hook/evt_both',
      'desk/evt_new',
    ]);
    // A date alone is midnight UTC: six days ago takes in everything.
    expect(ids((await list('--since', ago(144 * H).slice(0, 10))).stdout)).toHaveLength(5);
    expect(ids((await list('--output', 'hook', '--status', 'dead', '--since', '2h')).stdout)).toEqual([
      'hook/evt_both',
    ]);
    const text = await run(['deliveries', 'list', '--output', 'desk', '--status', 'pending'], { cwd: dir });
    expect(text.stdout).toMatch(/^desk\/evt_new {2}pending +1 attempt\(s\) {2}whale\.detected {2}next -/);
    expect(text.stdout.trim().split('\n')).toHaveLength(1);
    const none = await run(['deliveries', 'list', '--output', 'hook', '--status', 'pending'], { cwd: dir });
    expect(none).toMatchObject({ code: 0, stdout: 'no deliveries match (5 stored)\n' });
  });

  it('--limit N shows the N newest, newest first, and says how many more matched', async () => {
    const dir = await workspace();
    const two = await run(['deliveries', 'list', '--limit', '2', '--json'], { cwd: dir });
    expect(two.code, two.stderr).toBe(0);
    expect(ids(two.stdout)).toEqual(['desk/evt_new', 'hook/evt_both']);
    expect(two.stderr).toBe(
      '3 more older deliveries match (--limit 2; raise it, or narrow with --since, --status or --output)\n',
    );
    const text = await run(['deliveries', 'list', '--limit', '1', '--output', 'hook'], { cwd: dir });
    expect(text.stdout).toMatch(/^hook\/evt_both {2}dead /);
    expect(text.stderr).toMatch(/^1 more older delivery matches \(--limit 1;/);
    const all = await run(['deliveries', 'list', '--limit', '5'], { cwd: dir });
    expect(all.stdout.trim().split('\n')).toHaveLength(5);
    expect(all.stderr).toBe('');
  });

  it('bad flag values exit 2 with the usage', async () => {
    const dir = await workspace();
    for (const [flags, problem] of [
      [['--limit', '0'], /--limit takes a whole number of deliveries, 1 or more \(got "0"\)/],
      [['--limit', 'ten'], /--limit takes a whole number/],
      [['--limit=-3'], /--limit takes a whole number.*\(got "-3"\)/],
      [['--since', 'yesterday'], /--since "yesterday" is neither an ISO date nor a duration/],
      [['--since', '12'], /--since "12" is neither/],
      [['--status', 'lost'], /--status must be one of pending, delivered, dead, disabled \(got "lost"\)/],
      [['--output', 'a/b'], /--output takes an output instance name/],
      [['--output', 'nowhere'], /no output "nowhere" in config\.yaml nor in the stored deliveries/],
    ] as Array<[string[], RegExp]>) {
      const r = await run(['deliveries', 'list', ...flags], { cwd: dir });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr).toMatch(problem);
      expect(r.stderr).toMatch(
        /\nUsage: spout deliveries list \[--output NAME\] \[--status pending\|delivered\|dead\|disabled\] \[--since DATE\|DURATION\] \[--limit N\] \[--json\]/,
      );
      expect(r.stdout).toBe('');
    }
    expect((await run(['deliveries', 'show'], { cwd: dir })).code).toBe(2);
    expect((await run(['deliveries', 'show', 'a', 'b'], { cwd: dir })).stderr).toMatch(/give one event id/);
  });
});

describe('spout deliveries show (built CLI)', () => {
  it('shows every output’s delivery of the event, with attempts, from an event id or one delivery’s id', async () => {
    const dir = await workspace();
    const byEvent = await run(['deliveries', 'show', 'evt_both'], { cwd: dir });
    expect(byEvent.code, byEvent.stderr).toBe(0);
    const lines = byEvent.stdout.trimEnd().split('\n');
    expect(lines).toEqual([
      'event evt_both: 2 output(s)',
      expect.stringMatching(/^desk\/evt_both {2}delivered/),
      expect.stringMatching(/^ {2}#1 \S+ {2}delivered HTTP 200 {2}7 ms$/),
      expect.stringMatching(/^hook\/evt_both {2}dead/),
      expect.stringMatching(/^ {2}#1 \S+ {2}retry +HTTP 503 {2}9 ms$/),
      expect.stringMatching(/^ {2}#2 \S+ {2}dead +connect ECONNREFUSED {2}3 ms$/),
    ]);
    const byDelivery = await run(['deliveries', 'show', 'hook/evt_both'], { cwd: dir });
    expect(byDelivery.stdout).toBe(byEvent.stdout);
    const json = JSON.parse(
      (await run(['deliveries', 'show', 'desk/evt_both', '--json'], { cwd: dir })).stdout,
    ) as {
      eventId: string;
      deliveries: Array<{ delivery: OutboxRecord; attempts: DeliveryAttempt[] }>;
    };
    expect(json.eventId).toBe('evt_both');
    expect(json.deliveries.map((d) => [d.delivery.id, d.attempts.map((a) => a.attempt)])).toEqual([
      ['desk/evt_both', [1]],
      ['hook/evt_both', [1, 2]],
    ]);
    const single = await run(['deliveries', 'show', 'evt_new'], { cwd: dir });
    expect(single.stdout).toMatch(
      /^event evt_new: 1 output\(s\)\ndesk\/evt_new {2}pending.*\n {2}no attempts yet\n$/,
    );
    const missing = await run(['deliveries', 'show', 'evt_nope'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no delivery of "evt_nope"/);
  });
});
