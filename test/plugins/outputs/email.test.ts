import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureCli } from '../../helpers/cli.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/bus/envelope.js';
import { deliveriesCommand } from '../../../src/cli/deliveries.js';
import type { AccuracyChange, WhaleSignal } from '../../../src/bus/events.js';
import { openLowdbStore } from '../../../src/store/lowdb.js';
import { createMemoryStore } from '../../../src/store/memory.js';
import type { Store } from '../../../src/store/port.js';
import { COLLECTIONS, type OutcomeRecord } from '../../../src/store/records.js';
import { until } from '../../helpers/kernel.js';
import { freePort, runSpout, SMTP_PASS, startSmtp, type SmtpTestServer } from '../../helpers/smtp.js';

type Run = Awaited<ReturnType<typeof runSpout>>;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});
const smtp = async (...args: Parameters<typeof startSmtp>): Promise<SmtpTestServer> => {
  const s = await startSmtp(...args);
  cleanup.push(() => s.close());
  return s;
};
const spout = async (yaml: string, store?: Store): Promise<Run> => {
  const r = await runSpout(yaml, store);
  cleanup.push(() => r.stop());
  return r;
};
async function tempStore(): Promise<() => Promise<Store>> {
  const dir = await mkdtemp(join(tmpdir(), 'spout-email-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return () => openLowdbStore({ path: join(dir, 'spout.json'), flushDelayMs: 5 });
}

/** An `email` instance named `ops` sending to the given SMTP URL. */
const yaml = (url: string, extra: string[] = []) =>
  [
    'outputs:',
    '  ops:',
    '    use: email',
    `    smtp: "${url}"`,
    '    from: "Spout alerts <alerts@example.com>"',
    '    to: [ops@example.com, "On call <oncall@example.org>"]',
    ...extra.map((l) => `    ${l}`),
  ].join('\n');

const warning: AccuracyChange = {
  accuracy: 0.71,
  window: '7d',
  threshold: 0.75,
  level: 'warning',
  sample: 42,
};
const accuracy = (r: Run, data: AccuracyChange = warning) =>
  r.kernel.bus.publish('accuracy.degraded', data, 'accuracy') as Envelope<'accuracy.degraded'>;
const txid = (n: number) => n.toString(16).padStart(64, '0');
const whale = (n: number, btc: number): WhaleSignal => ({
  txid: txid(n),
  valueSats: btc * 1e8,
  valueBtc: btc,
  valueUsd: null,
  feeSats: 1000,
  vsize: 200,
  feeRate: 5,
  status: 'pending',
  firstSeen: new Date().toISOString(),
  detectedAt: new Date().toISOString(),
  url: `https://mempool.space/tx/${txid(n)}`,
});

describe('email output: a real SMTP server receives the mail', () => {
  it('mails an accuracy alert with text and HTML parts, its own Message-ID and Auto-Submitted', async () => {
    const server = await smtp();
    const r = await spout(yaml(server.url()));
    const e = accuracy(r);
    const [got] = await server.waitFor(1);
    const mail = got!.mail;
    expect(mail.subject).toBe('[Spout] accuracy warning: 71% over 7 days');
    expect(mail.text).toContain('fell below the warning threshold: 71% over the last 7 days');
    expect(mail.html).toContain('<table');
    expect(mail.html).toContain('71% over the last 7 days');
    expect(mail.messageId).toBe(`<${e.id}@example.com>`);
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.headers.get('x-spout-event')).toBe('accuracy.degraded');
    expect(mail.from?.value[0]).toMatchObject({ name: 'Spout alerts', address: 'alerts@example.com' });
    expect(got).toMatchObject({
      user: 'spout',
      from: 'alerts@example.com',
      to: ['ops@example.com', 'oncall@example.org'],
    });
    await until(() => r.record('ops', e.id)?.status === 'delivered', 2000, 'delivered record');
    expect(r.record('ops', e.id)).toMatchObject({
      channel: 'email',
      eventType: 'accuracy.degraded',
      attempts: 1,
    });
    expect(r.kernel.health.report().instances.ops).toMatchObject({ state: 'healthy' });
  });

  it('gets the accuracy job’s own alert by default, and no whale without being asked', async () => {
    const server = await smtp();
    const store = createMemoryStore();
    // 25 settled whales scoring 0.7 on average: below the default warning threshold (0.75).
    const outcomes = store.collection<OutcomeRecord>(COLLECTIONS.outcomes);
    for (let i = 0; i < 25; i++)
      outcomes.put(txid(i), {
        txid: txid(i),
        detectedAt: new Date(Date.now() - 3_600_000).toISOString(),
        settledAt: new Date(Date.now() - 60_000).toISOString(),
        status: 'confirmed',
        valueSats: 200e8,
        predictedBlocks: 1,
        urgencyLevel: 'high',
        score: 0.7,
      });
    const r = await spout(
      [yaml(server.url()), 'jobs:', '  accuracy: { use: accuracy, schedule: "* * * * * *" }'].join('\n'),
      store,
    );
    r.kernel.bus.publish('whale.detected', whale(1, 500), 'whales');
    const [got] = await server.waitFor(1, 5000);
    expect(got!.mail.subject).toBe('[Spout] accuracy warning: 70% over 7 days');
    expect(r.events.filter((e) => e.type === 'accuracy.degraded')).toHaveLength(1);
    await r.kernel.bus.drain();
    expect(server.mails.map((m) => m.mail.headers.get('x-spout-event'))).toEqual(['accuracy.degraded']);
  });

  it('keeps the mail while the SMTP server is down and delivers it once it is up', async () => {
    const port = await freePort();
    const r = await spout(yaml(`smtp://127.0.0.1:${port}`, ['retry: [200ms, 200ms, 300ms, 300ms, 300ms]']));
    const e = accuracy(r);
    // Two attempts find nothing listening.
    await until(() => (r.record('ops', e.id)?.attempts ?? 0) >= 2, 5000, 'two failed attempts');
    expect(r.kernel.health.report().instances.ops).toMatchObject({
      state: 'degraded',
      reason: expect.stringMatching(/^last delivery failed: .*ECONNREFUSED/),
    });
    const server = await smtp({ port });
    const [got] = await server.waitFor(1);
    expect(got!.mail.messageId).toBe(`<${e.id}@example.com>`);
    await until(() => r.record('ops', e.id)?.status === 'delivered', 2000, 'delivered record');
    const attempts = r.attempts('ops', e.id);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(
      attempts.slice(0, -1).every((a) => a.outcome === 'retry' && /ECONNREFUSED/.test(a.error ?? '')),
    ).toBe(true);
    expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered' });
    expect(r.kernel.health.report().instances.ops?.state).toBe('healthy');
    expect(server.mails).toHaveLength(1);
  });

  it('retries a temporary refusal (451) and delivers one mail', async () => {
    const server = await smtp({
      script: (n) => (n === 1 ? { code: 451, message: '4.3.0 Try again later' } : 'accept'),
    });
    const r = await spout(yaml(server.url(), ['retry: [100ms]']));
    const e = accuracy(r);
    await server.waitFor(1);
    await until(() => r.record('ops', e.id)?.status === 'delivered', 2000, 'delivered record');
    expect(r.attempts('ops', e.id).map((a) => [a.outcome, a.error])).toEqual([
      ['retry', 'SMTP 451 4.3.0 Try again later (DATA)'],
      ['delivered', undefined],
    ]);
    expect(server.transactions).toBe(2);
    expect(server.mails).toHaveLength(1);
  });

  it('follows the schedule after a permanent refusal (550), then keeps the mail as dead', async () => {
    const server = await smtp({ script: () => ({ code: 550, message: '5.7.1 Relaying denied' }) });
    const r = await spout(yaml(server.url(), ['retry: [50ms]']));
    const e = accuracy(r);
    await until(() => r.record('ops', e.id)?.status === 'dead', 3000, 'dead record');
    expect(r.record('ops', e.id)).toMatchObject({
      attempts: 2,
      lastError: 'SMTP 550 5.7.1 Relaying denied (DATA)',
      nextAttemptAt: null,
    });
    expect(
      r.log.lines.find((l) => String(l.msg).startsWith('e-mail delivery dead after 2 attempts')),
    ).toMatchObject({
      level: 'warn',
      instance: 'ops',
    });
    expect(server.mails).toHaveLength(0);
  });

  it('says at start that the login is wrong, without showing the password', async () => {
    const server = await smtp();
    const r = await spout(
      yaml(`smtp://spout:wrong-${SMTP_PASS.length}-pw@127.0.0.1:${server.port}`, ['retry: []']),
    );
    await until(
      () => r.log.lines.some((l) => String(l.msg).startsWith('SMTP server check failed')),
      5000,
      'check',
    );
    const line = r.log.lines.find((l) => String(l.msg).startsWith('SMTP server check failed'))!;
    expect(line.msg).toMatch(/SMTP 535 .*Authentication failed.*check the user and password in the smtp URL/);
    const e = accuracy(r);
    await until(() => r.record('ops', e.id)?.status === 'dead', 3000, 'dead');
    expect(r.record('ops', e.id)!.lastError).toMatch(/^SMTP 535 /);
    expect(r.log.raw.join('\n')).not.toContain(`wrong-${SMTP_PASS.length}-pw`);
  });

  it('refuses to log in without STARTTLS when starttls is required', async () => {
    const server = await smtp();
    const r = await spout(yaml(server.url(), ['starttls: required', 'retry: []']));
    const e = accuracy(r);
    await until(() => r.record('ops', e.id)?.status === 'dead', 3000, 'dead');
    expect(r.record('ops', e.id)!.lastError).toMatch(/STARTTLS.*see the starttls option/);
    expect(server.mails).toHaveLength(0);
  });
});

describe('email output: no mail lost, none twice', () => {
  it('never mails an event twice: published again, or after a restart with the same store', async () => {
    const server = await smtp();
    const open = await tempStore();
    const first = await spout(yaml(server.url()), await open());
    const e = accuracy(first);
    first.kernel.bus.publishEnvelope(e);
    await server.waitFor(1);
    await until(() => first.record('ops', e.id)?.status === 'delivered', 2000, 'delivered');
    await first.stop();

    const second = await spout(yaml(server.url()), await open());
    second.kernel.bus.publishEnvelope(e);
    // A later alert goes out after the repeat was handled: the repeat had its chance to be sent.
    const later = accuracy(second, { ...warning, accuracy: 0.6, level: 'critical', threshold: 0.7 });
    await server.waitFor(2);
    await second.kernel.bus.drain();
    expect(server.mails.map((m) => m.mail.messageId)).toEqual([
      `<${e.id}@example.com>`,
      `<${later.id}@example.com>`,
    ]);
  });

  it('aborts a mail in flight at stop without counting it, and sends it on the next start with the same Message-ID', async () => {
    let hold = true;
    const server = await smtp({ script: () => (hold ? 'hang' : 'accept') });
    const open = await tempStore();
    const first = await spout(yaml(server.url()), await open());
    const e = accuracy(first);
    await until(() => server.transactions === 1, 3000, 'mail in flight');
    await first.stop();
    const stopped = first.record('ops', e.id);
    expect(stopped).toMatchObject({ status: 'pending', attempts: 0 });
    expect(first.attempts('ops', e.id)).toEqual([]);

    hold = false;
    const second = await spout(yaml(server.url()), await open());
    const [got] = await server.waitFor(1);
    expect(got!.mail.messageId).toBe(`<${e.id}@example.com>`);
    await until(() => second.record('ops', e.id)?.status === 'delivered', 2000, 'delivered');
    expect(second.record('ops', e.id)!.attempts).toBe(1);
    expect(second.log.lines.some((l) => l.msg === 'resuming 1 pending email deliveries')).toBe(true);
  });

  it('lets a mail the server is accepting finish when the output stops: delivered, not sent again', async () => {
    const server = await smtp({ script: () => ({ acceptAfterMs: 300 }) });
    const open = await tempStore();
    const first = await spout(yaml(server.url()), await open());
    const e = accuracy(first);
    await until(() => server.transactions === 1, 3000, 'mail in flight');
    await first.stop();
    expect(first.record('ops', e.id)).toMatchObject({ status: 'delivered', attempts: 1 });

    const second = await spout(yaml(server.url()), await open());
    await second.kernel.bus.drain();
    expect(second.log.lines.some((l) => String(l.msg).startsWith('resuming'))).toBe(false);
    expect(server.mails).toHaveLength(1);
  });
});

describe('email output: spout deliveries', () => {
  it('lists and shows e-mail deliveries with the SMTP reply of each attempt', async () => {
    const server = await smtp({ script: () => ({ code: 550, message: '5.1.1 No such user' }) });
    const dir = await mkdtemp(join(tmpdir(), 'spout-email-cli-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'spout.yaml');
    const config = [
      `storage: { path: ${JSON.stringify(join(dir, 'spout.json'))} }`,
      yaml(server.url(), ['retry: [10ms]']),
    ];
    await writeFile(file, config.join('\n'));
    const r = await spout(
      yaml(server.url(), ['retry: [10ms]']),
      await openLowdbStore({ path: join(dir, 'spout.json'), flushDelayMs: 5 }),
    );
    const e = accuracy(r);
    await until(() => r.record('ops', e.id)?.status === 'dead', 3000, 'dead');
    await r.stop();
    const { cli, output, clear } = captureCli(dir);
    expect(await deliveriesCommand(['list'], { config: file }, cli)).toBe(0);
    expect(output()).toMatch(
      new RegExp(
        `^ops/${e.id}  dead +2 attempt\\(s\\)  accuracy\\.degraded  since \\S+  SMTP 550 5\\.1\\.1 No such user \\(DATA\\)\\n$`,
      ),
    );
    clear();
    expect(await deliveriesCommand(['show', e.id], { config: file }, cli)).toBe(0);
    // A header for the event, then each output's delivery (one here) with its attempts.
    expect(output().split('\n')[2]).toMatch(
      /^  #1 \S+  retry +SMTP 550 5\.1\.1 No such user \(DATA\)  \d+ ms  next \S+$/,
    );
    expect(output()).not.toContain(SMTP_PASS);
  });
});

describe('email output: whale digests', () => {
  it('collects whales in the store and mails one digest per period; nothing when there were none', async () => {
    const server = await smtp();
    const r = await spout(yaml(server.url(), ['events: [accuracy.*, whale.*]', 'digest: 600ms']));
    const whales = [whale(1, 150), whale(2, 2500), whale(3, 320)].map((w) =>
      r.kernel.bus.publish('whale.detected', w, 'whales'),
    );
    r.kernel.bus.publish(
      'whale.confirmed',
      { txid: txid(1), height: 870_000, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 1 },
      'correlation',
    );
    r.kernel.bus.publishEnvelope(whales[0]!); // seen again: listed once
    await r.kernel.bus.drain();
    const collected = r.store.collection<{ items: unknown[] }>('email-digest').get('ops');
    expect(collected?.items).toHaveLength(4);
    const alert = accuracy(r); // not digested: mailed on its own
    const mails = await server.waitFor(2, 5000);
    const digest = mails.find((m) => m.mail.headers.get('x-spout-event') === 'email.digest')!;
    expect(digest.mail.subject).toMatch(/^\[Spout\] 3 whales in the last (second|\d+ seconds)$/);
    expect(digest.mail.text).toContain('2,500 BTC');
    expect(digest.mail.text).toContain('confirmed in block 870,000');
    expect(digest.mail.html).toContain('Whales (largest first)');
    expect(digest.mail.messageId).toMatch(/^<dig_[0-9a-f]{32}@example\.com>$/);
    expect(digest.mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mails.find((m) => m.mail.messageId === `<${alert.id}@example.com>`)).toBeDefined();

    // The following periods have no whale: no mail.
    const quiet = () =>
      r.log.lines.filter((l) => l.msg === 'no whale events for the digest; nothing to send').length;
    await until(() => quiet() >= 2, 5000, 'two empty periods');
    expect(server.mails).toHaveLength(2);
  });

  it('keeps collected whales across a restart and mails them in the next digest', async () => {
    const server = await smtp();
    const open = await tempStore();
    const first = await spout(yaml(server.url(), ['events: [whale.*]', 'digest: 1h']), await open());
    first.kernel.bus.publish('whale.detected', whale(7, 777), 'whales');
    await first.kernel.bus.drain();
    await first.stop();
    expect(server.mails).toHaveLength(0);

    const second = await spout(yaml(server.url(), ['events: [whale.*]', 'digest: 300ms']), await open());
    const [got] = await server.waitFor(1, 5000);
    expect(got!.mail.subject).toMatch(/^\[Spout\] 1 whale in the last /);
    expect(got!.mail.text).toContain('777 BTC');
    await until(
      () => second.store.collection<{ items: unknown[] }>('email-digest').get('ops')?.items.length === 0,
      2000,
      'emptied',
    );
  });
});

describe('email output: configuration', () => {
  it.each([
    ['smtp: "http://user:hunter2@mail.example.com"', 'smtp', /must start with smtp:\/\/ or smtps:\/\//],
    [
      'starttls: never\n    smtp: "smtps://user:hunter2@mail.example.com"',
      'smtp',
      /starttls applies to smtp:\/\/ only/,
    ],
    ['digest: often', 'digest', /must be a duration \(1h, 1d\) or a cron expression/],
    ['from: nobody', 'from', /must be an e-mail address/],
  ])('reports %s at its line, never showing the password', async (line, key, message) => {
    const text = [
      'http: { enabled: false }',
      'outputs:',
      '  ops:',
      '    use: email',
      ...(line.includes('smtp:') ? [] : ['    smtp: "smtp://user:hunter2@mail.example.com"']),
      `    ${line}`,
      ...(line.startsWith('from') ? [] : ['    from: alerts@example.com']),
      '    to: ops@example.com',
    ].join('\n');
    const { parseConfig } = await import('../../helpers/builtins.js');
    const error = await parseConfig(text, 'spout.yaml', process.cwd(), {}).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'SPOUT_CONFIG_INVALID' });
    expect((error as Error).message).toMatch(new RegExp(`spout\\.yaml:\\d+:\\d+ +outputs\\.ops\\.${key} +`));
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
