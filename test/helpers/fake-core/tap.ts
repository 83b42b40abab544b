import { Block, Transaction } from 'bitcoinjs-lib';
import * as zmq from 'zeromq';
import { ZMQ_TOPICS, type ZmqTopic } from './types.js';

/** One multipart message as a subscriber received it. */
export interface TapMessage {
  topic: string;
  body: Buffer;
  /** The third part read as a 4-byte LE number (NaN when it is not 4 bytes). */
  seq: number;
  /** Number of parts (Core always sends 3). */
  parts: number;
  /** The raw parts. */
  frames: Buffer[];
}

/** A test-side ZMQ subscriber that records everything it receives. */
export interface ZmqTap {
  /** Everything received so far, in order. */
  readonly messages: readonly TapMessage[];
  /** The next `n` messages after those already taken (waits for them; rejects after `timeoutMs`). */
  take(n: number, timeoutMs?: number): Promise<TapMessage[]>;
  /** Wait for a message (received at any time) matching `pred`. */
  until(pred: (m: TapMessage) => boolean, timeoutMs?: number): Promise<TapMessage>;
  close(): void;
}

/** What {@link openTap} needs of the fake. */
export interface TapTarget {
  zmqUrl: string;
  subscriptionMark(): number;
  waitForSubscriber(topics?: readonly ZmqTopic[], o?: { since?: number; timeoutMs?: number }): Promise<void>;
}

/**
 * Connect a SUB to the fake and resolve once the fake has seen its subscriptions, so nothing published
 * afterwards is lost to ZMQ's slow-joiner gap. `topics` default: all (the empty prefix).
 */
export async function openTap(fake: TapTarget, topics: readonly ZmqTopic[] = []): Promise<ZmqTap> {
  const since = fake.subscriptionMark();
  const sock = new zmq.Subscriber({ linger: 0 });
  if (topics.length === 0) sock.subscribe();
  else sock.subscribe(...topics);
  sock.connect(fake.zmqUrl);
  const messages: TapMessage[] = [];
  const listeners = new Set<() => void>();
  void (async () => {
    try {
      for await (const frames of sock) {
        const [t, body, seq] = frames;
        messages.push({
          topic: t?.toString('latin1') ?? '',
          body: body ?? Buffer.alloc(0),
          seq: seq?.length === 4 ? seq.readUInt32LE(0) : Number.NaN,
          parts: frames.length,
          frames,
        });
        for (const l of [...listeners]) l();
      }
    } catch {
      // closed
    }
  })();
  const wait = <T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const v = ready();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `zmq tap: timed out after ${timeoutMs} ms waiting for ${what} (${messages.length} received)`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  let taken = 0;
  await fake.waitForSubscriber(topics.length === 0 ? ZMQ_TOPICS : topics, { since });
  return {
    messages,
    async take(n, timeoutMs = 5000) {
      const from = taken;
      taken += n;
      return wait(
        () => (messages.length >= from + n ? messages.slice(from, from + n) : undefined),
        timeoutMs,
        `${n} message(s)`,
      );
    },
    until: (pred, timeoutMs = 5000) => wait(() => messages.find(pred), timeoutMs, 'a matching message'),
    close: () => sock.close(),
  };
}

/**
 * A readable label for assertions on order: `hashtx:<txid>`, `rawtx:<txid>` (parsed), `hashblock:<hash>`,
 * `rawblock:<hash>` (parsed), `sequence:<A|R|C|D>:<hash>[:<mempool sequence>]`.
 */
export function labelOf(m: TapMessage): string {
  if (m.topic === 'sequence') {
    const seq = m.body.length === 41 ? `:${m.body.readBigUInt64LE(33)}` : '';
    return `sequence:${String.fromCharCode(m.body[32] ?? 0)}:${m.body.subarray(0, 32).toString('hex')}${seq}`;
  }
  if (m.topic === 'rawtx') return `rawtx:${Transaction.fromBuffer(m.body).getId()}`;
  if (m.topic === 'rawblock') return `rawblock:${Block.fromBuffer(m.body).getId()}`;
  return `${m.topic}:${m.body.toString('hex')}`;
}
