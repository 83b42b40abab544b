import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AnyEnvelope } from '../bus/envelope.js';
import { leaseKeys } from './lease.js';
import { readStream, type StreamEntry } from './stream-reader.js';

/**
 * The deployment's event stream (`engine: redis`): what the leader publishes for the outputs that
 * run on every instance (the WebSocket feed) is appended to a Redis stream, trimmed to about
 * `maxLen` entries, and every instance reads it for its own clients. Resuming clients are
 * served from it (`since`).
 */
export interface EventStream {
  /**
   * Append one envelope (the leader), fenced: resolves false when `token` is no longer the
   * deployment's latest (nothing is appended). Appends keep the order of the calls.
   */
  append(token: number, envelope: AnyEnvelope): Promise<boolean>;
  /**
   * Hand every envelope appended from now on to `deliver`, in stream order, on a connection of
   * its own (reads block). Read errors (Redis restarting) are retried; nothing appended in the
   * meantime is skipped. Returns the stop.
   */
  follow(deliver: (envelope: AnyEnvelope) => void): () => Promise<void>;
  /**
   * The envelopes appended after the one with `eventId`, oldest first; null when it is not in
   * the stream (unknown, or trimmed away).
   */
  since(eventId: string): Promise<AnyEnvelope[] | null>;
}

/** The Redis key of a deployment's event stream. */
export const streamKey = (deployment: string) => `spout:${deployment}:events`;

const APPEND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'i', ARGV[3], 'e', ARGV[4])
return 1`;

/** Entries read per page when looking back for a resume point. */
const PAGE = 500;

type Entry = StreamEntry;

export function createEventStream(options: {
  redis: Redis;
  deployment: string;
  log: Logger;
  /** Entries kept (about; trimmed by Redis in whole nodes). Default 10,000. */
  maxLen?: number;
}): EventStream {
  const { redis, log } = options;
  const key = streamKey(options.deployment);
  const fence = leaseKeys(options.deployment).fence;
  const maxLen = options.maxLen ?? 10_000;
  const envelopeOf = (fields: string[]): AnyEnvelope | null => {
    const at = fields.indexOf('e');
    try {
      return at >= 0 ? (JSON.parse(fields[at + 1]!) as AnyEnvelope) : null;
    } catch {
      return null;
    }
  };

  return {
    async append(token, envelope) {
      const done = await redis.eval(
        APPEND,
        2,
        fence,
        key,
        String(token),
        String(maxLen),
        envelope.id,
        JSON.stringify(envelope),
      );
      return done === 1;
    },

    follow(deliver) {
      return readStream(redis, key, {
        log,
        handle(entries) {
          for (const [, fields] of entries) {
            const envelope = envelopeOf(fields);
            try {
              if (envelope) deliver(envelope);
            } catch (error) {
              // One envelope's failure is not the others': the rest of the page is still handed over.
              log.error({ err: error }, `event stream: delivering ${envelope?.id} failed`);
            }
          }
        },
      });
    },

    async since(eventId) {
      const newer: AnyEnvelope[] = [];
      let end = '+';
      for (let scanned = 0; scanned < maxLen * 2; scanned += PAGE) {
        const page = (await redis.xrevrange(key, end, '-', 'COUNT', PAGE)) as Entry[];
        for (const [id, fields] of page) {
          if (id === end) continue;
          if (fields[fields.indexOf('i') + 1] === eventId) return newer.reverse();
          const envelope = envelopeOf(fields);
          if (envelope) newer.push(envelope);
        }
        if (page.length < PAGE) return null;
        end = page.at(-1)![0];
      }
      return null;
    },
  };
}
