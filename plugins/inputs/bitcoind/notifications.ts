import type { Rpc } from './rpc.js';
import type { ZmqTopic } from './zmq.js';

const portOf = (endpoint: string): string | undefined => /:(\d+)\/?$/.exec(endpoint)?.[1];

/**
 * What is wrong with the node's ZMQ set-up for the input's `endpoints`, from Core's
 * `getzmqnotifications`: a topic the node does not publish, or publishes on another port (the
 * input then waits for notifications that never come). Empty when all is well or the node cannot
 * say (an old Core, an RPC error: the input's own checks still apply).
 */
export async function zmqProblems(rpc: Rpc, endpoints: Partial<Record<ZmqTopic, string>>): Promise<string[]> {
  let published: Array<{ type?: unknown; address?: unknown }>;
  try {
    const answer = await rpc.call<unknown>('getzmqnotifications');
    if (!Array.isArray(answer)) return [];
    published = answer as typeof published;
  } catch {
    return [];
  }
  const problems: string[] = [];
  for (const [topic, endpoint] of Object.entries(endpoints) as Array<[ZmqTopic, string | undefined]>) {
    if (!endpoint) continue;
    const at = published.filter((n) => n.type === `pub${topic}`).map((n) => String(n.address));
    if (at.length === 0)
      problems.push(
        `bitcoind does not publish ${topic}: add zmqpub${topic}=${endpoint} to bitcoin.conf and restart it`,
      );
    else if (!at.some((a) => portOf(a) === portOf(endpoint)))
      problems.push(
        `bitcoind publishes ${topic} on ${at.join(', ')}, not on ${endpoint}: set the input's zmq to it, or zmqpub${topic}=${endpoint} in bitcoin.conf`,
      );
  }
  return problems;
}
