import { COLLECTIONS } from '../../../src/index.js';

/**
 * Collection of whale signals as detected, by txid, for the API: recorded by the api job,
 * pruned by it after `keep` and by the retention job after `days` (by `detectedAt`).
 */
export const SIGNALS = COLLECTIONS.apiSignals;
