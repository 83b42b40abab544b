import { printLatency } from './print-pipeline.js';

// The end-to-end latency benchmark alone: node dist/bench/latency-cli.js
await printLatency();
