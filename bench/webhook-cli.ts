import { benchWebhook } from './webhook.js';

// The webhook benchmark alone: node dist/bench/webhook-cli.js. The full run's parameters (without
// its prefilled store), so that its ratio is the one `npm run bench` prints: two rounds at
// concurrency 16 alone took the slower of two, with `got` colder, and flattered it.
const r = await benchWebhook();
console.log(JSON.stringify(r.rows, null, 1));
