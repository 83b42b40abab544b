import { benchWebhook } from './webhook.js';

// The webhook benchmark alone (for profiling): node dist/bench/webhook-cli.js [events]
const r = await benchWebhook({ events: Number(process.argv[2] ?? 4000), concurrency: [16], rounds: 2 });
console.log(JSON.stringify(r.rows, null, 1));
