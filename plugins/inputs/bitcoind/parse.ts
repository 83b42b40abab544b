import { address, Block, networks, Transaction, type Network } from 'bitcoinjs-lib';
import type { TxInput, TxOutput } from '../../../src/index.js';

/** The networks the input knows, by the name Core's `getblockchaininfo` reports (`chain`). */
export const NETWORKS: Readonly<Record<string, Network>> = {
  main: networks.bitcoin,
  test: networks.testnet,
  testnet4: networks.testnet,
  signet: networks.testnet,
  regtest: networks.regtest,
};

/** BIP 125: an input sequence below this signals replaceability. */
const RBF_SEQUENCE = 0xfffffffe;

/** What a raw transaction (ZMQ `rawtx`, `getrawtransaction`) tells by itself. */
export interface RawFacts {
  txid: string;
  /** Sum of all outputs, in satoshis. */
  valueSats: number;
  weight: number;
  vsize: number;
  /** Inputs: address and value unknown (they are the spent outputs'; Core does not send them). */
  inputs: TxInput[];
  outputs: TxOutput[];
  /** Any input's sequence below 0xfffffffe (Core no longer reports `bip125-replaceable`). */
  rbfSignaling: boolean;
  coinbase: boolean;
}

const hexOf = (hash: Uint8Array): string => Buffer.from(hash).reverse().toString('hex');

/** `txid:vout`, the key of an outpoint in the spent-outpoint index. */
export const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;

/** The address of an output script, or null (OP_RETURN, bare multisig, P2PK: none, as Esplora). */
export function addressOf(script: Uint8Array, network: Network): string | null {
  try {
    return address.fromOutputScript(script, network);
  } catch {
    return null; // OP_RETURN, bare multisig, P2PK, non-standard: no address, as Esplora
  }
}

/** The facts of a decoded transaction. */
export function factsOf(tx: Transaction, network: Network): RawFacts {
  let valueSats = 0;
  const outputs = tx.outs.map((o) => {
    const value = Number(o.value);
    valueSats += value;
    return { address: addressOf(o.script, network), valueSats: value };
  });
  let rbfSignaling = false;
  const inputs = tx.ins.map((i) => {
    if (i.sequence < RBF_SEQUENCE) rbfSignaling = true;
    return { txid: hexOf(i.hash), vout: i.index, sequence: i.sequence, address: null, valueSats: null };
  });
  return {
    txid: tx.getId(),
    valueSats,
    weight: tx.weight(),
    vsize: tx.virtualSize(),
    inputs,
    outputs,
    rbfSignaling,
    coinbase: tx.isCoinbase(),
  };
}

/**
 * Decode a serialized transaction. Throws on bytes that are not one transaction (the caller
 * counts and logs the refusal; nothing from the node may crash the input).
 */
export function parseRawTx(bytes: Uint8Array, network: Network): RawFacts {
  return factsOf(
    Transaction.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
    network,
  );
}

/** What a raw block (ZMQ `rawblock`, `getblock HASH 0`) tells. */
export interface RawBlock {
  hash: string;
  previousHash: string;
  /** Unix seconds (header time). */
  time: number;
  txs: RawFacts[];
}

/** Decode a serialized block. Throws on bytes that are not a block. */
export function parseRawBlock(bytes: Uint8Array, network: Network): RawBlock {
  const block = Block.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return {
    hash: block.getId(),
    previousHash: block.prevHash ? hexOf(block.prevHash) : '0'.repeat(64),
    time: block.timestamp,
    txs: (block.transactions ?? []).map((t) => factsOf(t, network)),
  };
}

/** The hash of a serialized block's header (display order), without decoding its transactions. */
export function blockHashOf(bytes: Uint8Array): string {
  return Block.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, 80)).getId();
}
