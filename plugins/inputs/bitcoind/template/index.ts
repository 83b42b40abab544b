export {
  createBlockTemplate,
  type BlockTemplate,
  type BlockTemplateOptions,
  type MempoolEntry,
  type TemplateBuild,
  type TemplatePosition,
} from './block-template.js';
export { buildProjectedBlocks } from './build.js';
export { blockFeeStats, stackFeeStats, type FeeStats } from './fee-stats.js';
export type { BuildOptions, BuiltBlock, TemplateTx } from './types.js';
