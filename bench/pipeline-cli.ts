import { benchPipeline } from './pipeline.js';

// The black-box pipeline alone: node dist/bench/pipeline-cli.js [transactions] [tx/s] [paired runs, default 1; one more probes the live heap]
// [node flags for Spout…, default HEAP_FLAGS]
const [total = '1000000', rate = '20000', ...rest] = process.argv.slice(2);
const repeats = rest[0] !== undefined && /^\d+$/.test(rest[0]) ? Number(rest.shift()) : 1;
console.log(
  JSON.stringify(
    await benchPipeline(Number(total), Number(rate), rest.length ? rest : undefined, undefined, repeats),
    null,
    1,
  ),
);
