import { parseConfig } from '../config/load.js';
import { isSpoutError } from '../kernel/errors.js';
import type { CliEnv } from './io.js';
import { runConfig } from './run.js';

// Two real whales of mainnet block 277647 (see ../shared/fixtures), detected and then confirmed.
const DEMO_CONFIG = `
log: { level: info, format: pretty }
http: { listen: "127.0.0.1:0" }
inputs:
  recorded:
    use: replay
    intervalMs: 700
    items:
      - type: whale.detected
        data: { txid: 5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd, valueSats: 92700000000, valueBtc: 927, valueUsd: null, feeSats: 0, vsize: 225, feeRate: 0, status: pending, firstSeen: "2013-12-30T01:25:00.000Z", detectedAt: "2013-12-30T01:25:00.012Z", url: "https://mempool.space/tx/5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd" }
      - type: whale.detected
        data: { txid: 712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e, valueSats: 13330798472, valueBtc: 133.30798472, valueUsd: null, feeSats: 0, vsize: 226, feeRate: 0, status: pending, firstSeen: "2013-12-30T01:26:00.000Z", detectedAt: "2013-12-30T01:26:00.009Z", url: "https://mempool.space/tx/712db987272743dd6e02bdd00fd8a0718bbfd04d13495a97eb70cdc42c010b1e" }
      - type: whale.confirmed
        data: { txid: 5143ba5524d21b646de5cd5a1ab6ee7b7823a59c87a347d3b5339e9f977e7dcd, height: 277647, blocksWaited: 1, minutesWaited: 9, predictedBlocks: 6 }
outputs:
  console: { use: console }
`;

/**
 * `spout demo`: the pipeline offline, with nothing to configure. Until the simulator input
 * exists it replays recorded whales of a real block to the console.
 */
export async function demoCommand(cli: CliEnv): Promise<number> {
  try {
    const config = await parseConfig(DEMO_CONFIG, 'demo', cli.cwd, cli.env);
    return await runConfig(config, cli, { memoryStore: true, banner: 'Spout demo (Ctrl-C to stop)' });
  } catch (error) {
    if (!isSpoutError(error)) throw error;
    cli.io.err(`spout demo: ${error.message}\n`);
    return error.exit;
  }
}
