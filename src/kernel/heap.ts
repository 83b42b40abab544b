import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import type { MemoryLevel } from './memory.js';

/**
 * The V8 flags every launcher of Spout passes to `node`: the bin entry's shebang (written by
 * scripts/write-entry.mjs from this list), `npm start` and `npm run demo`, the Dockerfile and the
 * systemd unit (a test checks they agree). The young generation's semi-space is capped at 16 MB
 * on purpose: measured by the pipeline benchmark at 1M transactions, RSS 159–210 MiB (five runs)
 * against 217–232 MiB with 8 MB, at the same tx per CPU-second (8 MB looked better at 100k
 * transactions only). A 2.4 MB frame string is too big for the young generation and lives in the
 * large-object space until a full collection; a smaller young generation collects more often
 * while frames are being parsed and promotes more of them. 32 MB gave more throughput but RSS
 * 234–236 MiB; 4 MB cost a sixth of the throughput. `--single-threaded-gc`: no helper threads
 * beside the main one (parallel scavenges, concurrent marking and sweeping); on a machine of one or
 * two cores they only compete with it, and cost more CPU than they save: 49,300–49,600
 * transactions per CPU-second with it against 41,400–45,100 without, at the same RSS; the
 * WebSocket p99 of the latency benchmark was 0.5–1 ms longer (paired runs, its earlier form; on its
 * present form, parallel scavenges alone, the other helper threads off, changed nothing beyond the
 * noise: 4.9–5.9 against 4.8–5.3 ms).
 * `--expose-gc` is for one collection five seconds after start, which arms V8's memory reducer
 * once start-up is over (settle.ts), and for the mempool input's young collection before a large
 * frame when the young generation is short of room (plugins/inputs/mempool/room.ts).
 * `--turbo-filter=-parseSource`: TurboFan compiles every function but node's CommonJS export
 * lexer (`parseSource`), which runs only while modules load, over each CommonJS package an ES
 * module imports. Optimised two or three times during start-up, it took 9–10 MB of compiler
 * memory at once; freed, glibc kept a varying part of it mapped for the life of the process. RSS
 * at rest: 73.7–73.8 MiB in three runs with the flag against 75.2–79.4 without (76.4–82.9 in
 * eight runs the same day); the lexer runs before any frame is read, so nothing later changes.
 */
export const HEAP_FLAGS: readonly string[] = [
  '--max-semi-space-size=16',
  '--single-threaded-gc',
  '--expose-gc',
  '--turbo-filter=-parseSource',
];

/**
 * The environment every launcher gives node beside {@link HEAP_FLAGS} (the shebang through
 * `env -S`, `npm start` and `npm run demo`, the Dockerfile's `ENV`, the systemd unit's
 * `Environment=`). `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc
 * arena (V8's and libuv's worker threads), and memory freed in one stays mapped; two arenas
 * measured idle RSS 72.9–76.4 MiB in four runs against 76.4–83.9 MiB, and RSS at 1M
 * transactions 164 and 194 MiB against 202–207 MiB, at the same transactions per CPU-second.
 * Other C libraries (musl) ignore it.
 */
export const HEAP_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

const MB = 2 ** 20;

/**
 * Why memory pressure could come too late, or null: critical is reached at `limitBytes ×
 * criticalAt` of RSS, and the heap is part of RSS, so when V8's heap limit (`heapLimitBytes`) is
 * below that, the heap can run out (and the process abort) before anything is shed. The answer:
 * size the heap to the limit with `--max-old-space-size`, or lower `kernel.memory.limitMb`.
 */
export function heapLimitProblem(
  limitBytes: number,
  criticalAt: number,
  heapLimitBytes: number = getHeapStatistics().heap_size_limit,
): string | null {
  const critical = limitBytes * criticalAt;
  if (critical <= heapLimitBytes) return null;
  const limitMb = Math.round(limitBytes / MB);
  return (
    `kernel.memory: critical is at ${Math.round(critical / MB)} MB of RSS (limitMb ${limitMb} × criticalAt ${criticalAt}), ` +
    `but V8's heap may not grow past ${Math.round(heapLimitBytes / MB)} MB: the heap would run out before anything is shed. ` +
    `Start node with --max-old-space-size=${limitMb} (e.g. NODE_OPTIONS=--max-old-space-size=${limitMb}), or lower kernel.memory.limitMb`
  );
}

/**
 * V8's heap growing factor per memory level, as `--heap-growing-percent` (0: V8's own, which lets
 * the heap grow to several times the live set). Under pressure the heap is kept closer to what is
 * live, at some CPU: the pipeline benchmark measured RSS at 1M transactions 170 MiB with 50
 * against 236 MiB without, and a tenth fewer transactions per CPU-second.
 */
export const HEAP_GROWING_PERCENT: Record<MemoryLevel, number> = { normal: 0, warning: 50, critical: 20 };

/**
 * Set the heap's growing factor for `level` (see {@link HEAP_GROWING_PERCENT}). V8 reads this
 * flag at each garbage collection, so it applies from the next one; `set` is V8's
 * `setFlagsFromString` (tests pass their own).
 */
export function applyHeapGrowth(level: MemoryLevel, set: (flags: string) => void = setFlagsFromString): void {
  set(`--heap-growing-percent=${HEAP_GROWING_PERCENT[level]}`);
}
