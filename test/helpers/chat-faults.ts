import { describe, expect, it } from 'vitest';
import type { ChatMessageRecord } from '../../src/delivery/chat/record.js';
import type { WhaleSignal } from '../../src/bus/events.js';
import { COLLECTIONS } from '../../src/store/records.js';
import { testScope } from './scope.js';
import {
  HTTP_FAULTS,
  startFaultyHttp,
  startFaultyTls,
  type FaultyHttp,
  type HttpFault,
} from './faulty-server.js';
import { runYaml } from './run-yaml.js';
import { until } from './kernel.js';

/** A fake chat API (the real fake server of a platform) as the fault suite sees it. */
export interface ChatUpstream {
  /** The fake server's origin, `http://127.0.0.1:PORT`. */
  origin: string;
  /** The `outputs:` YAML of one instance named `channel`, reaching the API at `base` (an origin). */
  yaml(base: string, extra: string): string;
  /** Posts and edits that reached the fake server. */
  posts(): number;
  edits(): number;
  /** The secret in the URLs the client calls (bot token, webhook token): never shown. */
  secret: string;
  /** What the chat shows for a message id (from the record), if it exists. */
  shows(messageId: string): string | undefined;
  close(): Promise<void>;
}

export interface ChatPlatform {
  channel: 'telegram' | 'discord';
  /** The chat key a record's target is stored under. */
  chat: string;
  start(): Promise<ChatUpstream>;
}

const txid = (n: number) => n.toString(16).padStart(64, 'c');
const whale = (id: string): WhaleSignal => ({
  txid: id,
  valueSats: 250e8,
  valueBtc: 250,
  valueUsd: 25_000_000,
  feeSats: 5000,
  vsize: 250,
  feeRate: 20,
  status: 'pending',
  firstSeen: '2026-11-21T07:00:00.000Z',
  detectedAt: '2026-11-21T07:00:01.000Z',
  url: `https://mempool.space/tx/${id}`,
});
const confirmation = (id: string) => ({
  txid: id,
  height: 870_123,
  blocksWaited: 1,
  minutesWaited: 7,
  predictedBlocks: 1,
});

/** What each library reports for a fault (the post's fate is unknown either way). */
const POST_ERROR: Record<Exclude<HttpFault, 'pass'>, RegExp> = {
  reset: /ECONNRESET|UND_ERR_SOCKET/,
  close: /ECONNRESET|UND_ERR_SOCKET/,
  'half-head': /ECONNRESET|UND_ERR_SOCKET|HPE_/,
  // grammY's node-fetch does not notice a body cut short: its request timeout ends it.
  'short-body': /ECONNRESET|UND_ERR_SOCKET|ERR_STREAM_PREMATURE_CLOSE|timed out/,
  'chunked-cut': /ECONNRESET|UND_ERR_SOCKET|ERR_STREAM_PREMATURE_CLOSE|Premature close/,
  'half-json': /JSON/,
  hang: /timed out|abort/i,
};

/**
 * The network-fault suite of a chat output (telegram or discord), against its fake API behind a
 * faulty loopback server (or behind fake DNS names, or a TLS server no client trusts):
 * - a post whose request may have arrived (reset, closed, half a status line, a body cut short
 *   or not whole JSON, no answer until the timeout) ends `unknown`, is never posted again, and
 *   the next post goes through (the worker's single slot is free); no error text shows the
 *   token in the URL;
 * - an edit meeting the same faults is retried and goes through;
 * - a post that cannot have arrived (DNS failure, a TLS handshake that fails) is retried on the
 *   schedule: posted once the name resolves; given up (`dead`) after the last retry when TLS
 *   keeps failing, never `unknown`.
 */
export function describeChatFaults(platform: ChatPlatform): void {
  const { chat, channel } = platform;
  const { later, fakeDns } = testScope();
  const upstream = () => later(platform.start(), (u) => u.close());
  const faulty = (origin: string) => later(startFaultyHttp(origin), (f: FaultyHttp) => f.close());
  const spout = (yaml: string) => later(runYaml(yaml), (r) => r.stop());
  /** Short waits: retries after 200 ms, requests cut off after 1 s (the least `timeout`). */
  const FAST = 'retry: [200ms, 200ms], timeout: 1s';

  type Run = Awaited<ReturnType<typeof runYaml>>;
  /** The secret is in no stored error, log line or health reason. */
  const noSecret = (run: Run, api: ChatUpstream) => {
    const messages = [...run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).entries()];
    expect(JSON.stringify(messages)).not.toContain(api.secret);
    expect(run.log.raw.join('\n')).not.toContain(api.secret);
    expect(JSON.stringify(run.kernel.health.report())).not.toContain(api.secret);
  };
  const target = (run: Run, id: string) =>
    run.store.collection<ChatMessageRecord>(COLLECTIONS.messages).get(`channel/${id}`)?.targets[chat];
  const metric = async (run: Run, action: string, outcome: string) => {
    const text = await run.kernel.metrics.registry.metrics();
    const line = text
      .split('\n')
      .find((l) =>
        l.startsWith(
          `spout_chat_messages_total{instance="channel",channel="${channel}",action="${action}",outcome="${outcome}"}`,
        ),
      );
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  describe(`${channel} output: network faults`, () => {
    it.each([...HTTP_FAULTS, 'half-json'] as const)(
      'a post meeting %s may have arrived: unknown, never posted again; the next post goes through',
      async (fault) => {
        const api = await upstream();
        const front = await faulty(api.origin);
        const run = await spout(api.yaml(front.origin, FAST));
        await front.waitFor(1); // the credentials check at start, passed
        front.fail(fault);
        const a = txid(1);
        run.kernel.bus.publish('whale.detected', whale(a), 'test');
        await until(() => target(run, a)?.status === 'unknown', 5000, 'post unknown');
        expect(target(run, a)).toMatchObject({
          status: 'unknown',
          messageId: null,
          nextAttemptAt: null,
          lastError: expect.stringMatching(POST_ERROR[fault]),
        });
        expect(
          run.log.lines.find((l) => String(l.msg).includes('may or may not have arrived')),
        ).toMatchObject({ level: 'warn', instance: 'channel' });
        expect(run.kernel.health.report().instances.channel).toMatchObject({
          state: 'degraded',
          reason: expect.stringMatching(/^a post may not have arrived: /),
        });
        noSecret(run, api);
        if (fault === 'hang') await until(() => front.abandoned() === 1, 5000, 'hung request cut off');

        // Its confirmation edits nothing (there is no message id), and nothing is posted again;
        // the next whale is posted at once: the slot is free.
        run.kernel.bus.publish('whale.confirmed', confirmation(a), 'test');
        const b = txid(2);
        run.kernel.bus.publish('whale.detected', whale(b), 'test');
        await until(() => target(run, b)?.status === 'posted', 5000, 'next post');
        await run.kernel.bus.drain();
        expect(target(run, a)).toMatchObject({ status: 'unknown', messageId: null });
        expect(front.requests.map((r) => r.fault)).toEqual(['pass', fault, 'pass']);
        expect(api.posts()).toBe(1);
        expect(api.edits()).toBe(0);
        expect(await metric(run, 'post', 'unknown')).toBe(1);
        expect(await metric(run, 'post', 'ok')).toBe(1);
        expect(run.kernel.health.report().instances.channel).toMatchObject({ state: 'healthy' });
        expect(await run.stop()).toEqual([]);
      },
    );

    it.each([...HTTP_FAULTS, 'half-json'] as const)(
      'an edit meeting %s is retried and goes through',
      async (fault) => {
        const api = await upstream();
        const front = await faulty(api.origin);
        const run = await spout(api.yaml(front.origin, FAST));
        const a = txid(3);
        run.kernel.bus.publish('whale.detected', whale(a), 'test');
        await until(() => target(run, a)?.status === 'posted', 5000, 'posted');
        const messageId = target(run, a)!.messageId!;
        front.fail(fault);
        run.kernel.bus.publish('whale.confirmed', confirmation(a), 'test');
        await until(() => target(run, a)?.attempts === 1, 5000, 'edit failed once');
        expect(target(run, a)).toMatchObject({
          status: 'posted',
          messageId,
          syncedVersion: 1,
          lastError: expect.stringMatching(POST_ERROR[fault]),
        });
        expect(Date.parse(target(run, a)!.nextAttemptAt!)).toBeGreaterThan(0);
        noSecret(run, api);

        await until(() => target(run, a)?.syncedVersion === 2, 5000, 'edit retried');
        expect(target(run, a)).toMatchObject({
          status: 'posted',
          messageId,
          attempts: 0,
          nextAttemptAt: null,
        });
        expect(target(run, a)!.lastError).toBeUndefined();
        expect(api.shows(messageId)).toMatch(/confirmed/);
        expect(front.requests.map((r) => r.fault)).toEqual(['pass', 'pass', fault, 'pass']);
        expect(api.posts()).toBe(1);
        expect(await metric(run, 'edit', 'retry')).toBe(1);
        expect(await metric(run, 'edit', 'ok')).toBe(1);
        expect(await run.stop()).toEqual([]);
      },
    );

    it.each(['ENOTFOUND', 'EAI_AGAIN'] as const)(
      'a post whose host name does not resolve (%s) never left: retried, and posted once it resolves',
      async (code) => {
        const dns = fakeDns();
        const api = await upstream();
        const host = `${channel}-${code.toLowerCase()}.fault.test`;
        // The check at start, the first post: no answer; the retry: loopback.
        dns.answer(host, code, code, '127.0.0.1');
        const run = await spout(api.yaml(`http://${host}:${new URL(api.origin).port}`, FAST));
        expect(run.kernel.health.report().instances.channel).toMatchObject({ state: 'degraded' });
        const a = txid(4);
        run.kernel.bus.publish('whale.detected', whale(a), 'test');
        await until(() => target(run, a)?.attempts === 1, 5000, 'first post failed');
        expect(target(run, a)).toMatchObject({
          status: 'pending',
          messageId: null,
          lastError: expect.stringContaining(code),
        });
        expect(Date.parse(target(run, a)!.nextAttemptAt!)).toBeGreaterThan(0);
        noSecret(run, api);
        await until(() => target(run, a)?.status === 'posted', 5000, 'posted on the retry');
        expect(target(run, a)).toMatchObject({ attempts: 0, nextAttemptAt: null });
        expect(api.posts()).toBe(1);
        expect(dns.lookups(host)).toBe(3);
        expect(await metric(run, 'post', 'retry')).toBe(1);
        expect(await metric(run, 'post', 'unknown')).toBe(0);
        expect(run.kernel.health.report().instances.channel).toMatchObject({ state: 'healthy' });
      },
    );

    it.each([
      ['self-signed', /DEPTH_ZERO_SELF_SIGNED_CERT|self-signed certificate/],
      ['plain', /EPROTO|ERR_SSL_WRONG_VERSION_NUMBER|wrong version number/],
    ] as const)(
      'a post over TLS that fails (%s) never left: retried on the schedule, never unknown, then given up',
      async (kind, error) => {
        const server = await later(startFaultyTls(kind), (s) => s.close());
        const api = await upstream();
        const run = await spout(api.yaml(server.origin, 'retry: [100ms, 100ms], timeout: 1s'));
        await server.waitFor(1); // the check at start
        const ids = [txid(5), txid(6)];
        for (const id of ids) run.kernel.bus.publish('whale.detected', whale(id), 'test');
        const settled = (id: string) => {
          const t = target(run, id);
          return t !== undefined && (t.attempts === 1 || t.status === 'unknown' || t.status === 'dead');
        };
        await until(() => settled(ids[0]!), 5000, 'first post failed');
        expect(target(run, ids[0]!)).toMatchObject({
          status: 'pending',
          lastError: expect.stringMatching(error),
        });
        await until(() => ids.every((id) => target(run, id)?.status === 'dead'), 5000, 'both given up');
        for (const id of ids)
          expect(target(run, id)).toMatchObject({
            status: 'dead',
            attempts: 3,
            messageId: null,
            lastError: expect.stringMatching(error),
          });
        // One slot, never stuck: the check and three attempts per post each met the server.
        expect(server.connections()).toBe(7);
        expect(await metric(run, 'post', 'unknown')).toBe(0);
        expect(await metric(run, 'post', 'retry')).toBe(4);
        expect(await metric(run, 'post', 'dead')).toBe(2);
        expect(api.posts()).toBe(0);
        noSecret(run, api);
        expect(await run.stop()).toEqual([]);
      },
    );
  });
}
