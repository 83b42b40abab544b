import { readFileSync } from 'node:fs';
import { pidFile, processAlive } from '../../control/pid.js';
import { openLowdbStore } from '../../store/lowdb.js';
import type { TestRecords } from './outcome.js';

/** Where the test delivery's records were kept, or why they were not. */
export type Persisted = { in: string; why?: undefined } | { in: null; why: string };

/**
 * Keep the test delivery's records in the store file, unless a running `spout run` owns it
 * (lowdb is single-process: what another process writes is lost at its next flush).
 */
export async function persistRecords(path: string, records: TestRecords): Promise<Persisted> {
  const pid = pidFile(path);
  if (processAlive(pid)) {
    let owner = '';
    try {
      owner = ` (pid ${readFileSync(pid, 'utf8').trim()})`;
    } catch {
      // Gone since: named without its pid.
    }
    return {
      in: null,
      why: `a running spout run${owner} owns ${path}, and only it may write there; the test itself was made all the same`,
    };
  }
  try {
    const store = await openLowdbStore({ path });
    try {
      for (const [collection, id, doc] of records) store.collection(collection).put(id, doc);
    } finally {
      await store.close();
    }
    return { in: path };
  } catch (error) {
    return { in: null, why: `could not write ${path}: ${(error as Error).message.split('\n')[0]}` };
  }
}
