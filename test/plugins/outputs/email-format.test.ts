import { describe, expect, it } from 'vitest';
import { lastPeriod, formatDigest, type SealedDigest } from '../../../plugins/outputs/email/digest.js';
import { addressOf, resolveOptions } from '../../../plugins/outputs/email/options.js';
import { formatEvent, type RenderContext } from '../../../plugins/outputs/email/format.js';
import { classifyMail, describeError } from '../../../plugins/outputs/email/send.js';
import { parseSmtpUrl } from '../../../plugins/outputs/email/smtp-url.js';
import { createEnvelope, eventId } from '../../../src/bus/envelope.js';
import type { WhaleSignal } from '../../../src/bus/events.js';

const ctx: RenderContext = {
  instance: 'ops-mail',
  domain: 'example.com',
  subjectPrefix: '[Spout]',
  now: new Date('2026-11-21T10:00:00.000Z'),
};
const txid = (n: number) => n.toString(16).padStart(64, '0');
const whale = (n: number, btc: number, extra: Partial<WhaleSignal> = {}): WhaleSignal => ({
  txid: txid(n),
  valueSats: btc * 1e8,
  valueBtc: btc,
  valueUsd: btc * 95_000,
  feeSats: 2610,
  vsize: 245,
  feeRate: 10.65,
  urgency: { score: 0.8, level: 'high', predictedBlocks: 1, basis: 'projected-blocks' },
  rbf: { signaling: false, replaces: [] },
  status: 'pending',
  firstSeen: '2026-11-21T09:59:59.000Z',
  detectedAt: '2026-11-21T10:00:00.000Z',
  url: `https://mempool.space/tx/${txid(n)}`,
  ...extra,
});

describe('email output: rendering', () => {
  it('says what happened in the subject of an accuracy alert and a recovery', () => {
    const degraded = createEnvelope(
      'accuracy.degraded',
      { accuracy: 0.71, window: '7d', threshold: 0.75, level: 'warning', sample: 42 },
      'accuracy',
    );
    const critical = createEnvelope(
      'accuracy.degraded',
      { accuracy: 0.6543, window: '1d', threshold: 0.7, level: 'critical', sample: 20 },
      'accuracy',
    );
    const recovered = createEnvelope(
      'accuracy.recovered',
      { accuracy: 0.8, window: '7d', threshold: 0.75, level: 'warning', sample: 50 },
      'accuracy',
    );
    expect(formatEvent(degraded, ctx).subject).toBe('[Spout] accuracy warning: 71% over 7 days');
    expect(formatEvent(critical, ctx).subject).toBe('[Spout] accuracy critical: 65.4% over 1 day');
    expect(formatEvent(recovered, ctx).subject).toBe('[Spout] accuracy recovered: 80% over 7 days');
    const mail = formatEvent(degraded, ctx);
    expect(mail.text).toContain('Threshold:');
    expect(mail.text).toContain('75% (warning)');
    expect(mail.html).toContain('42');
    expect(mail.date).toBe('2026-11-21T10:00:00.000Z');
  });

  it('derives the Message-ID from the event id: the same on every rendering', () => {
    const e = createEnvelope('whale.detected', whale(1, 927), 'whales');
    const a = formatEvent(e, ctx);
    const b = formatEvent(e, { ...ctx, now: new Date() });
    expect(a.messageId).toBe(`<${e.id}@example.com>`);
    expect(b.messageId).toBe(a.messageId);
    expect(a.headers).toMatchObject({
      'Auto-Submitted': 'auto-generated',
      'X-Spout-Event': 'whale.detected',
      'X-Spout-Event-Id': e.id,
    });
    expect(a.subject).toBe('[Spout] whale: 927 BTC ($88.1M), 10.7 sat/vB, urgency high');
  });

  it('threads a whale’s later news under the mail of its detection', () => {
    const confirmed = createEnvelope(
      'whale.confirmed',
      { txid: txid(1), height: 870_000, blocksWaited: 2, minutesWaited: 17, predictedBlocks: 1 },
      'correlation',
    );
    const mail = formatEvent(confirmed, ctx);
    const detection = `<${eventId('whale.detected', txid(1))}@example.com>`;
    expect(mail.headers).toMatchObject({ 'In-Reply-To': detection, References: detection });
    expect(mail.subject).toBe('[Spout] whale confirmed: 00000000…0001 in block 870,000');
  });

  it('escapes every value in the HTML body, and keeps the text body as it is', () => {
    const reason = '<script>alert("x")</script> & <b>co</b>';
    const e = createEnvelope('whale.dropped', { txid: txid(2), reason }, 'correlation');
    const mail = formatEvent(e, ctx);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>co</b>');
    expect(mail.html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;',
    );
    expect(mail.text).toContain(`Reason:      ${reason}`);
    expect(mail.subject).toContain(reason);
  });

  it('links only http(s) URLs: a javascript: URL in event data stays text', () => {
    const e = createEnvelope('whale.detected', whale(3, 150, { url: 'javascript:alert(1)' }), 'whales');
    const mail = formatEvent(e, ctx);
    expect(mail.html).not.toContain('href="javascript:');
    const safe = formatEvent(createEnvelope('whale.detected', whale(4, 150), 'whales'), ctx);
    expect(safe.html).toContain(`href="https://mempool.space/tx/${txid(4)}"`);
  });

  it('makes a readable mail of an event without a layout of its own', () => {
    const e = createEnvelope('input.status', { state: 'degraded', reason: 'no <frames> for 60s' }, 'mempool');
    const mail = formatEvent(e, ctx);
    expect(mail.subject).toBe('[Spout] input.status from mempool');
    expect(mail.text).toContain('reason:');
    expect(mail.html).toContain('no &lt;frames&gt; for 60s');
  });

  it('renders a digest: count and period in the subject, whales largest first, updates after', () => {
    const d: SealedDigest = {
      id: 'dig_0123456789abcdef0123456789abcdef',
      since: '2026-11-21T09:00:00.000Z',
      until: '2026-11-21T10:00:00.100Z',
      items: [
        {
          id: 'evt_a',
          type: 'whale.detected',
          time: '2026-11-21T09:10:00.000Z',
          txid: txid(5),
          valueSats: 120e8,
          valueUsd: null,
          feeRate: 3,
        },
        {
          id: 'evt_b',
          type: 'whale.detected',
          time: '2026-11-21T09:20:00.000Z',
          txid: txid(6),
          valueSats: 900e8,
          valueUsd: 85e6,
          feeRate: 12,
        },
        {
          id: 'evt_c',
          type: 'whale.confirmed',
          time: '2026-11-21T09:30:00.000Z',
          txid: txid(5),
          detail: 'confirmed in block 870,001 after 1 block(s)',
        },
      ],
      overflow: { whales: 1, updates: 0 },
    };
    const mail = formatDigest(d, ctx);
    expect(mail.subject).toBe('[Spout] 3 whales in the last hour');
    expect(mail.messageId).toBe('<dig_0123456789abcdef0123456789abcdef@example.com>');
    expect(mail.text.indexOf('900 BTC')).toBeLessThan(mail.text.indexOf('120 BTC'));
    expect(mail.text).toContain('confirmed in block 870,001');
    expect(mail.text).toContain('and 1 more, not listed');
    expect(mail.html).toContain('<h3');
    expect(lastPeriod(86_400_000)).toBe('the last day');
    expect(lastPeriod(3 * 3_600_000)).toBe('the last 3 hours');
    expect(lastPeriod(45 * 60_000)).toBe('the last 45 minutes');
  });
});

describe('email output: settings', () => {
  it('reads the SMTP URL: ports, TLS, percent-decoded login, STARTTLS required off loopback', () => {
    expect(parseSmtpUrl('smtp://me%40gmail.com:app%2Fpass@smtp.gmail.com')).toEqual({
      host: 'smtp.gmail.com',
      port: 587,
      secure: false,
      starttls: 'required',
      auth: { user: 'me@gmail.com', pass: 'app/pass' },
    });
    expect(parseSmtpUrl('smtps://u:p@mail.example.com')).toMatchObject({ port: 465, secure: true });
    expect(parseSmtpUrl('smtp://localhost:25')).toMatchObject({ starttls: 'auto', auth: null, port: 25 });
    expect(parseSmtpUrl('smtp://relay.internal:25', 'never')).toMatchObject({ starttls: 'never' });
  });

  it.each([
    ['https://u:hunter2@mail.example.com', /must start with smtp:\/\/ or smtps:\/\//],
    ['smtp://u:hunter2@mail.example.com/path', /no path/],
    ['not a url hunter2', /is not a URL/],
    ['smtp://:hunter2@mail.example.com', /password but no user/],
  ])('refuses the SMTP URL %s with a clear message that does not show it', (smtp, message) => {
    const error = (() => {
      try {
        resolveOptions({
          smtp,
          from: 'a@example.com',
          to: 'b@example.com',
          subjectPrefix: '[Spout]',
          retry: [],
          timeout: '30s',
          concurrency: 2,
        });
      } catch (e) {
        return e as Error & { scope?: { option?: string }; code?: string };
      }
    })();
    expect(error).toMatchObject({ code: 'SPOUT_CONFIG_INVALID', scope: { option: 'smtp' } });
    expect(error!.message).toMatch(message);
    expect(error!.message).not.toContain('hunter2');
  });

  it('takes "Name <address>" and plain addresses, and refuses anything else', () => {
    expect(addressOf('Spout alerts <alerts@example.com>')).toBe('alerts@example.com');
    expect(addressOf('ops@example.com')).toBe('ops@example.com');
    expect(addressOf('root@localhost')).toBe('root@localhost');
    expect(addressOf('ops at example.com')).toBeNull();
    expect(addressOf('a@b.com, c@d.com')).toBeNull();
  });

  it('tells a refusal (5xx) from a temporary failure (4xx, no connection)', () => {
    expect(classifyMail({})).toBe('delivered');
    expect(classifyMail({ error: 'SMTP 550 no such user', smtpCode: 550 } as never)).toBe('failure');
    expect(classifyMail({ error: 'SMTP 451 try later', smtpCode: 451 } as never)).toBe('retry');
    expect(classifyMail({ error: 'SMTP 503 bad sequence', smtpCode: 503 } as never)).toBe('retry');
    expect(classifyMail({ error: 'ECONNREFUSED' })).toBe('retry');
    expect(
      describeError({
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 Authentication failed',
        command: 'AUTH PLAIN',
      }),
    ).toBe('SMTP 535 5.7.8 Authentication failed (AUTH PLAIN); check the user and password in the smtp URL');
    expect(describeError({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:2525' })).toBe(
      'ESOCKET: connect ECONNREFUSED 127.0.0.1:2525',
    );
  });
});
