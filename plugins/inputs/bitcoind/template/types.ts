import type { ProjectedBlock } from '../../../../src/index.js';

/** One mempool transaction as {@link buildProjectedBlocks} takes it. */
export interface TemplateTx {
  /**
   * Identifies the transaction and breaks ties: of two packages with the same ancestor score, the
   * one with the larger uid goes first. Give uids in descending order of Core's txid comparison
   * (as mempool.space's test vector does) to break ties as Core does.
   */
  uid: number;
  /** Fee in sats (Core's modified fee, when prioritised). */
  fee: number;
  /** Weight in weight units. */
  weight: number;
  /** Sigop cost, as `getblocktemplate` reports it. */
  sigops: number;
  /** Uids of the transaction's parents in the mempool; uids not among the transactions are ignored. */
  parents: readonly number[];
}

/** One projected block. */
export interface BuiltBlock {
  /** The members' uids in template order (each ancestor before its descendants). */
  uids: number[];
  /**
   * Each member's effective fee rate in sat/vB, index for index with `uids`: the rate of the
   * package it went in with (mempool.space's `effectiveFeePerVsize`), at most the rate of any
   * package it depends on.
   */
  rates: number[];
  /** The block as Spout's `mempool.stats` carries it, computed as mempool.space computes it. */
  summary: ProjectedBlock;
}

/** Options of {@link buildProjectedBlocks}. */
export interface BuildOptions {
  /** Most blocks to project (at least 1); the last one takes every transaction left. Default 8. */
  maxBlocks?: number;
}
