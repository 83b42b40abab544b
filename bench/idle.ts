import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { defaultPipelineConfig, MAIN, ROOT } from './default-pipeline.js';
import { HEAP_FLAGS } from '../src/kernel/heap.js';

/** Idle RSS of the built CLI (issue 17, benchmark b) against a bare WebSocket client. */
export interface IdleResult {
  /** Median RSS (MiB) of `spout run` connected to a silent server, after it settled. */
  spoutMiB: number;
  /** The same for a bare `ws` client that would only `JSON.parse` what it receives. */
  bareMiB: number;
  /** Target: ≤ 80 MiB. */
  met: boolean;
}

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
): Promise<IdleResult> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { config, remove } = await defaultPipelineConfig(`{ use: mempool, url: "${url}" }`, 'pretty', 'info');
  const run = async (args: string[]) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
    await once(server, 'connection');
    try {
      return await settledRss(child, settleMs, sampleMs);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  };
  try {
    const spoutMiB = await run([...nodeFlags, MAIN, 'run', '--config', config]);
    const bare = `const WebSocket = require('ws'); new WebSocket(${JSON.stringify(url)}).on('message', (m) => JSON.parse(m));`;
    const bareMiB = await run(['-e', bare]);
    return { spoutMiB, bareMiB, met: spoutMiB <= 80 };
  } finally {
    server.close();
    await remove();
  }
}
