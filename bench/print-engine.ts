import { benchEngine, hasRedisServer } from './engine.js';
import { benchEngineDeliveries } from './engine-deliveries.js';
import { fmt } from './format.js';

/** Print issue 18's engine figures (`npm run bench`, or alone with `-- --engine [clients per instance]`). */
export async function printEngine(clientsPerInstance = 5000): Promise<void> {
  if (!hasRedisServer())
    return console.log('engine: skipped (no /usr/bin/redis-server: apt-get install -y redis-server)');
  const r = await benchEngine({ clientsPerInstance });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  console.log(`engine: redis (built CLI, local redis-server), leaseTime ${fmt(r.leaseMs)} ms`);
  console.log(
    `  failover, leader SIGKILLed   median ${fmt(median(r.killMs))} ms of ${r.killMs.length} (${range(r.killMs)} ms); bound: the lease + one try interval (a third of it, jittered up to 1.25×) = ${fmt(r.leaseMs * (1 + 1.25 / 3))} ms`,
  );
  console.log(
    `  handover, leader SIGTERMed   median ${fmt(median(r.termMs))} ms of ${r.termMs.length} (${range(r.termMs)} ms): the lease is released and followers are told: one takes it at once`,
  );
  const f = r.fanout;
  console.log(
    `  fan-out of ${f.alerts} alerts to ${fmt(f.clients)} WebSocket clients over ${f.instances} instances: p50 ${fmt(f.p50Ms)} ms, p99 ${fmt(f.p99Ms)} ms (append to the stream → client; ${fmt(f.received)} of ${fmt(f.expected)} received)`,
  );
  const d = await benchEngineDeliveries();
  const one = d.runs[0]?.perSecond ?? NaN;
  console.log(
    `  webhook deliveries (BullMQ jobs, concurrency 16 per instance) of ${fmt(d.deliveries)} whales to one local receiver, ${d.cpus} CPU(s) shared by all:`,
  );
  for (const r of d.runs)
    console.log(
      `    ${r.instances} instance(s): ${fmt(r.perSecond)}/s (${(r.perSecond / one).toFixed(2)}× one instance; made by each: ${r.byInstance.map(fmt).join(' / ')})`,
    );
}
