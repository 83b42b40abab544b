import { Subscriber } from 'zeromq';

/** The ZMQ topics the input reads. */
export type ZmqTopic = 'rawtx' | 'sequence' | 'rawblock' | 'hashblock';

export interface ZmqFeedOptions {
  /** The endpoint of each topic subscribed (Core may publish topics on different ports). */
  endpoints: Partial<Record<ZmqTopic, string>>;
  /** ZMTP heartbeat: a silent publisher is declared lost after `heartbeatMs × 3`. */
  heartbeatMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** A notification, in the order the publisher sent it (per endpoint). Must not throw. */
  onMessage(topic: ZmqTopic, body: Uint8Array): void;
  /** A topic's sequence number skipped ahead or went back: notifications were lost. */
  onGap(topic: ZmqTopic, why: string): void;
  /** A message that is not Core's three parts (topic, body, 4-byte sequence). */
  onMalformed(why: string): void;
  /** An endpoint's connection came up or went down. */
  onConnection(endpoint: string, up: boolean): void;
}

/** The subscription to a node's ZMQ notifications. */
export interface ZmqFeed {
  /** Connect (ZMQ connects in the background and reconnects by itself, with backoff). */
  start(): void;
  /** Whether every endpoint has a live connection. */
  connected(): boolean;
  stop(): void;
}

const TOPICS: readonly ZmqTopic[] = ['rawtx', 'sequence', 'rawblock', 'hashblock'];

/**
 * Subscribe to Core's ZMQ notifications: one SUB socket per distinct endpoint. Every message is
 * three parts (topic, body, 4-byte little-endian sequence number counted per topic by the
 * publisher); a sequence that is not the previous plus one means notifications were dropped (a
 * high-water mark, a restart of Core) and is reported by `onGap`. After a reconnection the
 * counting starts again (the caller resynchronises on `onConnection(…, true)`).
 */
export function createZmqFeed(o: ZmqFeedOptions): ZmqFeed {
  const byEndpoint = new Map<string, ZmqTopic[]>();
  for (const topic of TOPICS) {
    const endpoint = o.endpoints[topic];
    if (endpoint) byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), topic]);
  }
  const last = new Map<ZmqTopic, number>();
  const up = new Set<string>();
  const sockets = new Set<Subscriber>();
  let stopped = false;

  const check = (topic: ZmqTopic, seq: number) => {
    const previous = last.get(topic);
    last.set(topic, seq);
    if (previous !== undefined && seq !== (previous + 1) >>> 0)
      o.onGap(topic, `${topic} sequence ${seq} after ${previous}: ${topic} notifications were lost`);
  };

  const timers = new Set<NodeJS.Timeout>();

  const read = async (sock: Subscriber, endpoint: string, topics: ZmqTopic[]) => {
    try {
      for await (const parts of sock) {
        const [t, body, seq] = parts;
        const topic = t?.toString() as ZmqTopic;
        if (parts.length !== 3 || !body || !seq || seq.length !== 4 || !topics.includes(topic)) {
          o.onMalformed(
            `a ZMQ message of ${parts.length} part(s) on topic ${JSON.stringify(t?.toString().slice(0, 20))} is not a Core notification`,
          );
          continue;
        }
        check(topic, seq.readUInt32LE(0));
        o.onMessage(topic, body);
      }
    } catch (error) {
      if (stopped) return;
      // The socket is unusable: a new one, as after a lost connection (the resync follows it).
      o.onMalformed(`the ZMQ socket for ${endpoint} failed: ${(error as Error).message}`);
      sock.close();
      sockets.delete(sock);
      if (up.delete(endpoint)) o.onConnection(endpoint, false);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopped) open(endpoint, topics);
      }, o.reconnectMinMs);
      timers.add(timer);
    }
  };

  const open = (endpoint: string, topics: ZmqTopic[]) => {
    const sock = new Subscriber({
      heartbeatInterval: o.heartbeatMs,
      heartbeatTimeout: o.heartbeatMs * 3,
      heartbeatTimeToLive: o.heartbeatMs * 3,
      reconnectInterval: o.reconnectMinMs,
      reconnectMaxInterval: o.reconnectMaxMs,
      // Core's own default high-water mark; beyond it messages drop and the gap is caught.
      receiveHighWaterMark: 1000,
      linger: 0,
    });
    sockets.add(sock);
    sock.events.on('handshake', () => {
      if (stopped) return;
      up.add(endpoint);
      for (const t of topics) last.delete(t);
      o.onConnection(endpoint, true);
    });
    sock.events.on('disconnect', () => {
      if (stopped || !up.delete(endpoint)) return;
      o.onConnection(endpoint, false);
    });
    for (const t of topics) sock.subscribe(t);
    sock.connect(endpoint);
    void read(sock, endpoint, topics);
  };

  return {
    start() {
      for (const [endpoint, topics] of byEndpoint) open(endpoint, topics);
    },
    connected: () => up.size === byEndpoint.size,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const sock of sockets) sock.close();
      sockets.clear();
      up.clear();
    },
  };
}
