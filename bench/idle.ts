import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { defaultPipelineConfig, MAIN, spawnQuiet } from './default-pipeline.js';
import { HEAP_ENV, HEAP_FLAGS } from '../src/kernel/heap.js';

/** Idle RSS of the built CLI (issue 17, benchmark b) against a bare WebSocket client. */
export interface IdleResult {
  /** Median RSS (MiB) of `spout run` connected to a silent server, at rest (see `restAfterMs`). */
  spoutMiB: number;
  /** The same for a bare `ws` client that would only `JSON.parse` what it receives. */
  bareMiB: number;
  /** Spout's median RSS soon after start (from `settleMs`), before V8 has reduced its heap. */
  spoutSoonMiB: number;
  bareSoonMiB: number;
  /** Target: ≤ 80 MiB at rest. */
  met: boolean;
}

/**
 * At rest: V8's memory reducer shrinks the young generation that start-up grew, armed by the
 * collection Spout makes five seconds after start (src/kernel/settle.ts) and running some 8 s
 * later, so rest is sampled after 30 s.
 */
const REST_AFTER_MS = 30_000;

/** VmRSS of a process, in MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** RSS sampled every 250 ms for `ms` once `settleMs` have passed; the median. */
async function settledRss(child: ChildProcess, settleMs: number, ms: number): Promise<number> {
  await new Promise((r) => setTimeout(r, settleMs)); // at rest on purpose: nothing to await
  const samples: number[] = [];
  for (let t = 0; t < ms; t += 250) {
    samples.push(await rssMiB(child.pid as number));
    await new Promise((r) => setTimeout(r, 250));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/**
 * Start `spout run` with the default pipeline (mempool input, whale + urgency + rbf, console,
 * correlation) against a local server that accepts the connection and sends nothing, and a bare
 * `ws` client against the same server; compare their RSS at rest.
 */
export async function benchIdle(
  settleMs = 5_000,
  sampleMs = 3_000,
  nodeFlags: readonly string[] = HEAP_FLAGS,
  env: Readonly<Record<string, string>> = HEAP_ENV,
): Promise<IdleResult> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { config, remove } = await defaultPipelineConfig(`{ use: mempool, url: "${url}" }`, 'pretty', 'info');
  const run = async (args: string[], childEnv: Readonly<Record<string, string>> = {}) => {
    const child = spawnQuiet(args, childEnv);
    await once(server, 'connection');
    try {
      const soon = await settledRss(child, settleMs, sampleMs);
      const rest = await settledRss(child, REST_AFTER_MS - settleMs - sampleMs, sampleMs);
      return { soon, rest };
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  try {
    const spout = await run([...nodeFlags, MAIN, 'run', '--config', config], env);
    const bare = `const WebSocket = require('ws'); new WebSocket(${JSON.stringify(url)}).on('message', (m) => JSON.parse(m));`;
    const baseline = await run(['-e', bare]);
    return {
      spoutMiB: spout.rest,
      bareMiB: baseline.rest,
      spoutSoonMiB: spout.soon,
      bareSoonMiB: baseline.soon,
      met: spout.rest <= 80,
    };
  } finally {
    server.close();
    await remove();
  }
}
