import { performance } from 'node:perf_hooks';

/** The records to keep as a test delivery, by collection. */
export type TestRecords = Array<[collection: string, id: string, doc: unknown]>;

/** What became of the test delivery. */
export interface Outcome {
  delivered: boolean;
  /** What was answered: `HTTP 200`, `posted as message 101 in chat …`, an SMTP reply. */
  answer: string;
  latencyMs: number;
  statusCode?: number;
  error?: string;
  /** What to do about a failure. */
  fix?: string;
  /** The records to keep as the test delivery, by collection. */
  records: TestRecords;
}

/** The outcome of a test that got no answer within `waitMs` (started at `performance.now()`). */
export function timedOut(where: string, waitMs: number, started: number, records: TestRecords): Outcome {
  return {
    delivered: false,
    answer: `no outcome within ${Math.round(waitMs / 1000)} s`,
    error: 'timed out',
    latencyMs: performance.now() - started,
    fix: `the destination of ${where} did not answer in time; check that it is reachable from here, or raise ${where}.timeout`,
    records,
  };
}
