import { benchWebhook } from './webhook.js';

// The webhook benchmark alone, with the parameters of `npm run bench` (without its prefilled
// store): node dist/bench/webhook-cli.js. (It used to run two rounds at concurrency 16 only: the
// median of two is the slower, and `got` was colder than in the full run, which flattered the ratio.)
const r = await benchWebhook();
console.log(JSON.stringify(r.rows, null, 1));
