import { benchPipeline } from './pipeline.js';

// The black-box pipeline run alone: node dist/bench/pipeline-cli.js [transactions] [tx/s] [node flags for Spout…, default HEAP_FLAGS]
const [total = '1000000', rate = '20000', ...flags] = process.argv.slice(2);
console.log(
  JSON.stringify(await benchPipeline(Number(total), Number(rate), flags.length ? flags : undefined), null, 1),
);
