import { benchBus } from './bus.js';

// `npm run bench`: each benchmark reports against a baseline measured in the same run.
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const bus = await benchBus();
console.log(`bus: ${fmt(bus.events)} events to ${bus.subscribers} subscribers`);
console.log(
  `  spout bus       ${fmt(bus.busPerSecond)} events/s (async, ordered per subscriber, stable ids)`,
);
console.log(`  EventEmitter    ${fmt(bus.baselinePerSecond)} events/s (synchronous baseline)`);
console.log(`  ratio           ${bus.ratio.toFixed(2)} of the baseline`);
console.log(`  rss             ${fmt(process.memoryUsage().rss / 2 ** 20)} MiB`);
