import * as zmq from 'zeromq';
import { ZMQ_TOPICS, type Notification, type ZmqTopic } from './types.js';

/** A subscribe (or unsubscribe) message a subscriber sent, as the fake's XPUB socket saw it. */
export interface SubscriptionEvent {
  /** The prefix ('' = everything). */
  prefix: string;
  subscribe: boolean;
}

/**
 * Core's notifiers on one address: one socket, a separate 4-byte LE sequence number per topic (each
 * `CZMQAbstractPublishNotifier` counts its own `nSequence`, from 0, +1 after each message it sends).
 *
 * The socket is an XPUB rather than Core's PUB: for a SUB it is the same wire protocol and the same
 * delivery (prefix match, SNDHWM drops), but the fake also reads the subscriptions, so a test can wait
 * until a subscriber is really subscribed ({@link waitForSubscriber}) instead of sleeping.
 */
export class ZmqHub {
  /** Every (un)subscription seen, in order; a reconnecting SUB subscribes again. */
  readonly subscriptions: SubscriptionEvent[] = [];
  private readonly seq = new Map<ZmqTopic, number>(ZMQ_TOPICS.map((t) => [t, 0]));
  private readonly drops = new Map<ZmqTopic, number>();
  private readonly listeners = new Set<() => void>();
  private sending: Promise<void> = Promise.resolve();
  private sock: zmq.XPublisher | null;

  private constructor(
    sock: zmq.XPublisher,
    /** `tcp://127.0.0.1:PORT`. */
    readonly url: string,
    private readonly highWaterMark: number,
  ) {
    this.sock = sock;
    void this.readSubscriptions(sock);
  }

  private static socket(highWaterMark: number): zmq.XPublisher {
    const sock = new zmq.XPublisher({ sendHighWaterMark: highWaterMark, linger: 0 });
    sock.verbosity = 'allSubs';
    return sock;
  }

  /** Bind on a free loopback port. */
  static async start(highWaterMark: number): Promise<ZmqHub> {
    const sock = ZmqHub.socket(highWaterMark);
    await sock.bind('tcp://127.0.0.1:*');
    const url = sock.lastEndpoint;
    if (!url) throw new Error('fake-core: the ZMQ socket has no endpoint');
    return new ZmqHub(sock, url, highWaterMark);
  }

  private async readSubscriptions(sock: zmq.XPublisher): Promise<void> {
    try {
      for await (const [frame] of sock) {
        if (!frame || frame.length === 0 || frame[0]! > 1) continue;
        this.subscriptions.push({ prefix: frame.subarray(1).toString('latin1'), subscribe: frame[0] === 1 });
        for (const l of [...this.listeners]) l();
      }
    } catch {
      // The socket was closed.
    }
  }

  /** The sequence number the next message on `topic` will carry (or consume, if dropped). */
  nextSequence(topic: ZmqTopic): number {
    return this.seq.get(topic)!;
  }

  /** Set every topic's counter back to 0, as a restarted bitcoind does. */
  resetSequences(): void {
    for (const t of ZMQ_TOPICS) this.seq.set(t, 0);
  }

  /** The next `n` messages on `topic` are not sent; their sequence numbers are still used. */
  dropNext(topic: ZmqTopic, n = 1): void {
    this.drops.set(topic, (this.drops.get(topic) ?? 0) + n);
  }

  /** Send `notes` in order, one 3-part message each; resolves when they are queued on the socket. */
  publish(notes: readonly Notification[]): Promise<void> {
    const run = async (): Promise<void> => {
      for (const { topic, body } of notes) {
        const n = this.seq.get(topic)!;
        this.seq.set(topic, (n + 1) >>> 0);
        const dropped = this.drops.get(topic) ?? 0;
        if (dropped > 0) {
          this.drops.set(topic, dropped - 1);
          continue;
        }
        const seq = Buffer.alloc(4);
        seq.writeUInt32LE(n);
        // Down (zmqDown): nobody can receive it, the counter still moves (Core keeps publishing).
        if (this.sock) await this.sock.send([topic, body, seq]);
      }
    };
    const done = this.sending.then(run);
    this.sending = done.catch(() => {});
    return done;
  }

  /** Number of subscription events so far: pass it to {@link waitForSubscriber} to wait for newer ones. */
  mark(): number {
    return this.subscriptions.length;
  }

  /**
   * Resolve once, among the subscriptions seen after `since`, every topic of `topics` is covered by a
   * subscribed prefix (`''` covers all). Rejects after `timeoutMs`.
   */
  waitForSubscriber(topics: readonly ZmqTopic[] = ZMQ_TOPICS, since = 0, timeoutMs = 5000): Promise<void> {
    const covered = (): boolean =>
      topics.every((t) => this.subscriptions.slice(since).some((s) => s.subscribe && t.startsWith(s.prefix)));
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!covered()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake-core: no subscriber for ${topics.join(', ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /**
   * Close the socket: connected subscribers are cut off (they keep retrying); what is published meanwhile is
   * lost. (Closing rather than zmq_unbind: an unbind with connected peers can trip a libzmq 4.3.5 assertion,
   * pipe.cpp:355.)
   */
  async down(): Promise<void> {
    if (!this.sock) return;
    await this.sending;
    this.sock.close();
    this.sock = null;
  }

  /** A new socket on the same address (retrying while the old listener is still being torn down). */
  async up(): Promise<void> {
    if (this.sock) return;
    const sock = ZmqHub.socket(this.highWaterMark);
    for (let attempt = 0; ; attempt++) {
      try {
        await sock.bind(this.url);
        break;
      } catch (error) {
        if (attempt >= 200) {
          sock.close();
          throw error;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    this.sock = sock;
    void this.readSubscriptions(sock);
  }

  async close(): Promise<void> {
    await this.sending;
    this.sock?.close();
    this.sock = null;
  }
}
