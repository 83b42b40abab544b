import { benchSoak, sparkChart } from './soak.js';

/** `npm run bench -- --soak N`: N minutes of the simulator at 10× mainnet, a table and two charts. */
export async function runSoak(minutes: number): Promise<void> {
  console.log(
    `soak: ${minutes} min of simulator traffic at 10× mainnet's rate through whale + urgency + rbf, console, correlation; sampled each minute`,
  );
  console.log('  minute   RSS MiB   live heap MiB   CPU s');
  const samples = await benchSoak(minutes, 10, 60_000, (s) =>
    console.log(
      `  ${String(s.minute).padStart(6)}   ${s.rssMiB.toFixed(1).padStart(7)}   ${s.liveHeapMiB.toFixed(1).padStart(13)}   ${s.cpuSeconds.toFixed(1).padStart(5)}`,
    ),
  );
  console.log('  RSS (MiB) by minute');
  for (const row of sparkChart(samples.map((s) => s.rssMiB))) console.log(`  ${row}`);
  console.log('  live heap after GC (MiB) by minute');
  for (const row of sparkChart(samples.map((s) => s.liveHeapMiB))) console.log(`  ${row}`);
  const half = samples.slice(Math.floor(samples.length / 2));
  if (half.length >= 2) {
    const first = half[0]!;
    const last = half[half.length - 1]!;
    console.log(
      `  second half: RSS ${(last.rssMiB - first.rssMiB).toFixed(1)} MiB, live heap ${(last.liveHeapMiB - first.liveHeapMiB).toFixed(1)} MiB over ${last.minute - first.minute} min`,
    );
  }
}
