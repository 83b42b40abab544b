import { readFileSync } from 'node:fs';
import { pidFile, processAlive } from '../../control/pid.js';
import { openLowdbStore } from '../../store/lowdb.js';
import type { SpoutConfig } from '../../config/types.js';
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

/**
 * Keep the test delivery's records where the deployment keeps its own: in Redis with
 * `engine: redis` (beside the leader's, which writes only the documents it changes), else in
 * the store file (see {@link persistRecords}).
 */
export async function persistTestRecords(config: SpoutConfig, records: TestRecords): Promise<Persisted> {
  if (config.engine.use !== 'redis') return persistRecords(config.storage.path, records);
  const { deployment, url } = config.engine;
  // Loaded only with the Redis engine.
  const [{ withRedis }, { putDocument }, { shownUrl }] = await Promise.all([
    import('../../engine/connect.js'),
    import('../../store/redis.js'),
    import('../../engine/words.js'),
  ]);
  try {
    await withRedis(url, async (redis) => {
      for (const [collection, id, doc] of records) await putDocument(redis, deployment, collection, id, doc);
    });
    return { in: `Redis at ${shownUrl(url)} (deployment "${deployment}")` };
  } catch (error) {
    return { in: null, why: `could not write to Redis: ${(error as Error).message.split('\n')[0]}` };
  }
}
