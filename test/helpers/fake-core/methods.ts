import { Amount, difficultyOf, medianTimePast } from './block.js';
import {
  blockOr404,
  entryJson,
  hashArg,
  headerJson,
  hex64,
  MIN_RELAY,
  sortedMempool,
  uvType,
  verbosityArg,
  type MethodContext,
} from './json.js';
import { RPC, RpcFailure } from './rpc.js';
import { ZMQ_TOPICS } from './types.js';

export type { MethodContext } from './json.js';

type ArgType = 'str' | 'bool' | 'num' | 'any';
/** `name` may list aliases (`verbosity|verbose`); a leading `?` marks an optional argument. */
type ArgSpec = [name: string, type: ArgType];
type Method = { args: ArgSpec[]; run: (c: MethodContext, p: unknown[]) => unknown };

/** The methods the fake answers, with Core's argument names (for named params) and types. */
export const METHODS: Record<string, Method> = {
  getblockchaininfo: {
    args: [],
    run: ({ node }) => {
      const tip = node.tip;
      return {
        chain: 'main',
        blocks: tip.height,
        headers: tip.height,
        bestblockhash: tip.hash,
        difficulty: difficultyOf(tip.bits),
        time: tip.time,
        mediantime: medianTimePast(node.chain, node.chain.length - 1),
        verificationprogress: 1,
        initialblockdownload: false,
        chainwork: hex64(tip.chainwork),
        size_on_disk: [...node.blocks.values()].reduce((s, b) => s + (b.hex?.length ?? 0) / 2, 0),
        pruned: false,
        warnings: [],
      };
    },
  },
  getblockcount: { args: [], run: ({ node }) => node.tip.height },
  getbestblockhash: { args: [], run: ({ node }) => node.tip.hash },
  getblockhash: {
    args: [['height', 'num']],
    run: ({ node }, [h]) => {
      const b = node.activeAt(Number(h));
      if (!Number.isInteger(h) || !b)
        throw new RpcFailure(RPC.INVALID_PARAMETER, 'Block height out of range');
      return b.hash;
    },
  },
  getblock: {
    args: [
      ['blockhash', 'str'],
      ['?verbosity|verbose', 'any'],
    ],
    run: (c, [hash, verbosity]) => {
      const b = blockOr404(c, hashArg(hash, 'blockhash'));
      const v = verbosityArg(verbosity, 1);
      if (v <= 0) {
        if (b.hex === null) throw new RpcFailure(RPC.MISC_ERROR, 'Block not available (pruned data)');
        return b.hex;
      }
      if (v > 1)
        throw new RpcFailure(RPC.INVALID_PARAMETER, `fake-core: getblock verbosity ${v} is not implemented`);
      const size = (b.hex?.length ?? 0) / 2;
      const stripped = b.block?.byteLength(false, false) ?? 0;
      return {
        ...headerJson(c, b),
        strippedsize: stripped,
        size,
        weight: b.block?.weight() ?? 0,
        tx: b.txids,
      };
    },
  },
  getblockheader: {
    args: [
      ['blockhash', 'str'],
      ['?verbose', 'bool'],
    ],
    run: (c, [hash, verbose]) => {
      const b = blockOr404(c, hashArg(hash, 'hash'));
      if (verbose !== false) return headerJson(c, b);
      if (!b.block)
        throw new RpcFailure(RPC.MISC_ERROR, 'fake-core: the header of the base stub is not known');
      return b.block.toHex(true);
    },
  },
  getrawmempool: {
    args: [
      ['?verbose', 'bool'],
      ['?mempool_sequence', 'bool'],
    ],
    run: (c, [verbose, withSequence]) => {
      const ids = sortedMempool(c.node);
      if (verbose === true) {
        if (withSequence === true)
          throw new RpcFailure(
            RPC.INVALID_PARAMETER,
            'Verbose results cannot contain mempool sequence values.',
          );
        return Object.fromEntries(ids.map((id) => [id, entryJson(c, id)]));
      }
      return withSequence === true ? { txids: ids, mempool_sequence: c.node.mempoolSequence } : ids;
    },
  },
  getmempoolentry: {
    args: [['txid', 'str']],
    run: (c, [txid]) => {
      const id = hashArg(txid, 'parameter 1');
      if (!c.node.mempool.has(id))
        throw new RpcFailure(RPC.INVALID_ADDRESS_OR_KEY, 'Transaction not in mempool');
      return entryJson(c, id);
    },
  },
  getmempoolinfo: {
    args: [],
    run: ({ node }) => {
      const entries = [...node.mempool.values()];
      const bytes = entries.reduce((s, e) => s + e.tx.virtualSize(), 0);
      return {
        loaded: true,
        size: entries.length,
        bytes,
        usage: entries.reduce((s, e) => s + e.tx.byteLength() * 2 + 600, 0),
        total_fee: new Amount(entries.reduce((s, e) => s + e.fee, 0)),
        maxmempool: 300_000_000,
        mempoolminfee: new Amount(MIN_RELAY),
        minrelaytxfee: new Amount(MIN_RELAY),
        incrementalrelayfee: new Amount(MIN_RELAY),
        unbroadcastcount: 0,
        fullrbf: true,
      };
    },
  },
  getrawtransaction: {
    args: [
      ['txid', 'str'],
      ['?verbosity|verbose', 'any'],
      ['?blockhash', 'str'],
    ],
    run: (c, [txid, verbosity, blockhash]) => {
      const id = hashArg(txid, 'parameter 1');
      const inBlock =
        blockhash === undefined || blockhash === null ? undefined : hashArg(blockhash, 'parameter 3');
      if (inBlock !== undefined && !c.node.blocks.has(inBlock))
        throw new RpcFailure(RPC.INVALID_ADDRESS_OR_KEY, 'Block hash not found');
      const tx =
        inBlock === undefined || c.node.blocks.get(inBlock)!.txids.includes(id)
          ? c.node.findTx(id)
          : undefined;
      if (!tx)
        throw new RpcFailure(
          RPC.INVALID_ADDRESS_OR_KEY,
          `${inBlock === undefined ? 'No such mempool or blockchain transaction' : 'No such transaction found in the provided block'}. Use gettransaction for wallet transactions.`,
        );
      const v = verbosityArg(verbosity, 0);
      if (v > 0)
        throw new RpcFailure(
          RPC.INVALID_PARAMETER,
          'fake-core: getrawtransaction verbosity > 0 is not implemented',
        );
      return tx.toHex();
    },
  },
  gettxout: {
    args: [
      ['txid', 'str'],
      ['n', 'num'],
      ['?include_mempool', 'bool'],
    ],
    // Core answers null (not an error) for an unknown or spent coin.
    run: (c, [txid, n]) => {
      const coin = c.utxos.get(`${hashArg(txid, 'parameter 1')}:${Number(n)}`);
      if (!coin) return null;
      return {
        bestblock: c.node.tip.hash,
        confirmations: 1,
        value: new Amount(coin.valueSats),
        scriptPubKey: { hex: coin.scriptHex },
        coinbase: false,
      };
    },
  },
  estimatesmartfee: {
    args: [
      ['conf_target', 'num'],
      ['?estimate_mode', 'str'],
    ],
    run: (c, [target, mode]) => {
      const t = Number(target);
      if (!Number.isInteger(t) || t < 1 || t > 1008)
        throw new RpcFailure(RPC.INVALID_PARAMETER, 'Invalid conf_target, must be between 1 and 1008');
      if (
        mode !== undefined &&
        mode !== null &&
        !['unset', 'economical', 'conservative'].includes(String(mode).toLowerCase())
      )
        throw new RpcFailure(
          RPC.INVALID_PARAMETER,
          'Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"',
        );
      if (c.estimateSatPerKvB === null)
        return { errors: ['Insufficient data or no feerate found'], blocks: 0 };
      return { feerate: new Amount(Math.max(c.estimateSatPerKvB, MIN_RELAY)), blocks: Math.max(2, t) };
    },
  },
  getzmqnotifications: {
    args: [],
    run: (c) => ZMQ_TOPICS.map((t) => ({ type: `pub${t}`, address: c.zmqUrl, hwm: c.zmqHighWaterMark })),
  },
  getnetworkinfo: {
    args: [],
    run: () => ({
      version: 280000,
      subversion: '/Satoshi:28.0.0/',
      protocolversion: 70016,
      localservices: '0000000000000c09',
      localservicesnames: ['NETWORK', 'WITNESS', 'NETWORK_LIMITED', 'P2P_V2'],
      localrelay: true,
      timeoffset: 0,
      networkactive: true,
      connections: 10,
      connections_in: 0,
      connections_out: 10,
      networks: ['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns'].map((name) => ({
        name,
        limited: name !== 'ipv4' && name !== 'ipv6',
        reachable: name === 'ipv4' || name === 'ipv6',
        proxy: '',
        proxy_randomize_credentials: false,
      })),
      relayfee: new Amount(MIN_RELAY),
      incrementalfee: new Amount(MIN_RELAY),
      localaddresses: [],
      warnings: [],
    }),
  },
};

/**
 * tableRPC.execute: named params mapped to positions (transformNamedArguments), argument count and types
 * checked as RPCHelpMan does, then the method. Unknown method: -32601 "Method not found".
 */
export function execute(
  c: MethodContext,
  method: string,
  params: unknown[] | Record<string, unknown>,
): unknown {
  const m = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
  if (!m) throw new RpcFailure(RPC.METHOD_NOT_FOUND, 'Method not found');
  const names = m.args.map(([n]) => n.replace(/^\?/, '').split('|'));
  let p: unknown[];
  if (Array.isArray(params)) p = params;
  else {
    p = [];
    for (const [k, v] of Object.entries(params)) {
      const i = names.findIndex((aliases) => aliases.includes(k));
      if (i < 0) throw new RpcFailure(RPC.INVALID_PARAMETER, `Unknown named parameter ${k}`);
      p[i] = v;
    }
  }
  const required = m.args.filter(([n]) => !n.startsWith('?')).length;
  if (
    p.length > m.args.length ||
    p.slice(0, required).length < required ||
    p.slice(0, required).includes(undefined)
  )
    throw new RpcFailure(
      RPC.MISC_ERROR,
      `${method} ${names.map((n) => n[0]).join(' ')}\n(fake-core: wrong arguments; Core sends its help text)`,
    );
  m.args.forEach(([n, type], i) => {
    const v = p[i];
    if (v === undefined || v === null || type === 'any') return;
    const want = type === 'str' ? 'string' : type === 'num' ? 'number' : 'bool';
    if (uvType(v) !== want)
      throw new RpcFailure(
        RPC.TYPE_ERROR,
        `Wrong type passed:\n{\n    "Position ${i + 1} (${n.replace(/^\?/, '').split('|')[0]})": "JSON value of type ${uvType(v)} is not of expected type ${want}"\n}`,
      );
  });
  return m.run(
    c,
    p.map((v) => (v === null ? undefined : v)),
  );
}
