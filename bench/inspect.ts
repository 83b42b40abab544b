import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';

/** A child Node process observed from outside: RSS, CPU time, and its live heap through the inspector. */
export interface Observed {
  child: ChildProcess;
  /** VmRSS in MiB (Linux /proc). */
  rssMiB(): Promise<number>;
  /** User + system CPU seconds so far (Linux /proc). */
  cpuSeconds(): Promise<number>;
  /** Full GC in the child (inspector `HeapProfiler.collectGarbage`), then its used heap in MiB. */
  liveHeapMiB(): Promise<number>;
  /** Every line the child wrote to stdout goes here. */
  onLine(listener: (line: string) => void): void;
  stop(): Promise<void>;
}

const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these

/**
 * Start `node --inspect=127.0.0.1:0 …args` and connect to its inspector. The inspector costs the
 * child nothing until it is asked (a heap figure after GC is the one thing /proc cannot give).
 */
export async function observe(
  args: string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Observed> {
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const listeners: Array<(line: string) => void> = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of listeners) l(line);
  });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) =>
      reject(new Error(`child exited (${code}) before its inspector:\n${stderr}`)),
    );
  });
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result);
  });
  const call = (method: string) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  const stat = async () =>
    (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return {
    child,
    async rssMiB() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
    },
    async cpuSeconds() {
      // After "pid (comm) ": field 3 is the state; utime and stime are fields 14 and 15.
      const f = await stat();
      return (Number(f[11]) + Number(f[12])) / CLK_TCK;
    },
    async liveHeapMiB() {
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize / 2 ** 20;
    },
    onLine: (l) => void listeners.push(l),
    async stop() {
      socket.close();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
