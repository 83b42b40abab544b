import { homedir } from 'node:os';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import {
  Duration,
  parseDuration,
  problemList,
  Secret,
  StringEnum,
  type OptionsContext,
} from '../../../src/index.js';
import type { PriceSource } from './price.js';
import type { RpcAuth } from './rpc.js';
import type { ZmqTopic } from './zmq.js';

const Endpoint = Type.String({
  pattern: '^(tcp|ipc)://',
  patternErrorMessage: 'must be a ZMQ endpoint: tcp://host:port or ipc:///path, e.g. tcp://127.0.0.1:28332',
  description: 'A ZMQ endpoint: tcp://host:port or ipc://path.',
});

const Price = Type.Union(
  [
    Type.Object(
      { usd: Type.Number({ exclusiveMinimum: 0, description: 'A fixed USD price of one BTC.' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        url: Type.String({ pattern: '^https?://', description: 'An HTTP(S) URL answering JSON.' }),
        path: Type.String({
          minLength: 1,
          description:
            'Where the price is in the answer: dotted keys and indexes (bitcoin.usd, data.amount).',
        }),
        every: Duration({ default: '1m', description: 'How often the URL is polled.' }),
        staleAfter: Duration({
          default: '15m',
          description:
            'A price older than this (the URL failing since) is unknown: USD amounts are left out.',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'Where the USD price comes from (the node has none): { usd: 97000 } or { url, path, every, staleAfter }.',
  },
);

export const BitcoindOptions = Type.Object({
  rpcUrl: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:8332/',
    description: "bitcoind's JSON-RPC URL (rpcbind/rpcport; testnet4 48332, signet 38332, regtest 18443).",
  }),
  cookieFile: Type.Optional(
    Type.String({
      minLength: 1,
      description: "bitcoind's .cookie (in its data directory); or rpcUser + rpcPassword.",
    }),
  ),
  rpcUser: Type.Optional(Type.String({ minLength: 1, description: 'RPC user (rpcauth in bitcoin.conf).' })),
  rpcPassword: Type.Optional(Secret({ minLength: 1, description: 'RPC password: use ${VAR}.' })),
  zmq: Type.Union(
    [
      Endpoint,
      Type.Object(
        {
          rawtx: Endpoint,
          sequence: Endpoint,
          rawblock: Type.Optional(Endpoint),
          hashblock: Type.Optional(Endpoint),
        },
        { additionalProperties: false },
      ),
    ],
    {
      default: 'tcp://127.0.0.1:28332',
      description:
        'One endpoint for all topics (zmqpubrawtx, zmqpubsequence and zmqpubrawblock on the same address), or one per topic: { rawtx, sequence, rawblock }.',
    },
  ),
  network: StringEnum(['main', 'test', 'testnet4', 'signet', 'regtest'], {
    default: 'main',
    description: "The node's chain (getblockchaininfo's chain); the input refuses to run on another.",
  }),
  price: Type.Optional(Price),
  projectedBlocks: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 8,
    description: 'Projected blocks built.',
  }),
  statsEvery: Duration({
    default: '2s',
    description:
      'How often the projected blocks are rebuilt and mempool.stats published when the mempool changed.',
  }),
  seenCapacity: Type.Integer({
    minimum: 100,
    maximum: 10_000_000,
    default: 100_000,
    description: 'Txids remembered so a transaction announced again (a block, a resync) is emitted once.',
  }),
  startupMaxTxs: Type.Integer({
    minimum: 0,
    default: 300_000,
    description:
      'At start and after a resync, at most this many mempool transactions are fetched (the rest are left out of the projected blocks).',
  }),
  recoverMinBtc: Type.Number({
    minimum: 0,
    default: 10,
    description:
      'Transactions already waiting at start are announced from this value up, most valuable first.',
  }),
  rpcTimeout: Duration({ default: '30s', description: 'Longest wait for one RPC answer.' }),
  heartbeat: Duration({
    default: '10s',
    description: 'ZMTP heartbeat: a silent node is declared lost after three.',
  }),
  backoffMin: Duration({
    default: '1s',
    description: 'First retry delay after a failure (doubles each time).',
  }),
  backoffMax: Duration({ default: '60s', description: 'Longest retry delay.' }),
  unhealthyAfter: Duration({
    default: '2m',
    description: 'Not connected for this long: the instance is unhealthy (/health answers 503).',
  }),
});

/** What the input works with. */
export interface Bitcoind {
  rpcUrl: string;
  auth: RpcAuth;
  zmq: Partial<Record<ZmqTopic, string>>;
  network: Static<typeof BitcoindOptions>['network'];
  price: PriceSource | null;
  projectedBlocks: number;
  statsEveryMs: number;
  seenCapacity: number;
  startupMaxTxs: number;
  recoverMinSats: number;
  rpcTimeoutMs: number;
  heartbeatMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  unhealthyAfterMs: number;
}

/** Check what the schema cannot (one way to authenticate) and convert durations. */
export function resolveBitcoind(o: Static<typeof BitcoindOptions>, context: OptionsContext): Bitcoind {
  const problems = problemList();
  if (o.cookieFile !== undefined && (o.rpcUser !== undefined || o.rpcPassword !== undefined))
    problems.add('cookieFile', 'give cookieFile or rpcUser + rpcPassword, not both');
  if ((o.rpcUser === undefined) !== (o.rpcPassword === undefined))
    problems.add(o.rpcUser === undefined ? 'rpcUser' : 'rpcPassword', 'rpcUser and rpcPassword go together');
  if (new URL(o.rpcUrl).username !== '')
    problems.add('rpcUrl', 'put the credentials in rpcUser/rpcPassword or cookieFile, not in the URL');
  problems.throwIfAny();
  const auth: RpcAuth =
    o.rpcUser !== undefined && o.rpcPassword !== undefined
      ? { user: o.rpcUser, password: o.rpcPassword }
      : { cookieFile: context.resolve(o.cookieFile ?? defaultCookie(o.network)) };
  const zmq =
    typeof o.zmq === 'string'
      ? { rawtx: o.zmq, sequence: o.zmq, rawblock: o.zmq }
      : {
          rawtx: o.zmq.rawtx,
          sequence: o.zmq.sequence,
          rawblock: o.zmq.rawblock,
          hashblock: o.zmq.hashblock,
        };
  const p = o.price;
  return {
    rpcUrl: o.rpcUrl,
    auth,
    zmq,
    network: o.network,
    price:
      p === undefined
        ? null
        : 'usd' in p
          ? { fixed: p.usd }
          : {
              url: p.url,
              path: p.path,
              everyMs: parseDuration(p.every),
              staleAfterMs: parseDuration(p.staleAfter),
              timeoutMs: 10_000,
            },
    projectedBlocks: o.projectedBlocks,
    statsEveryMs: parseDuration(o.statsEvery),
    seenCapacity: o.seenCapacity,
    startupMaxTxs: o.startupMaxTxs,
    recoverMinSats: Math.round(o.recoverMinBtc * 1e8),
    rpcTimeoutMs: parseDuration(o.rpcTimeout),
    heartbeatMs: parseDuration(o.heartbeat),
    backoffMinMs: parseDuration(o.backoffMin),
    backoffMaxMs: parseDuration(o.backoffMax),
    unhealthyAfterMs: parseDuration(o.unhealthyAfter),
  };
}

const SUBFOLDER: Record<string, string> = {
  main: '',
  test: 'testnet3/',
  testnet4: 'testnet4/',
  signet: 'signet/',
  regtest: 'regtest/',
};

/** Core's default cookie path on Linux for the chain (`~/.bitcoin/…` of the user running Spout). */
function defaultCookie(network: string): string {
  return join(homedir(), '.bitcoin', `${SUBFOLDER[network] ?? ''}.cookie`);
}
