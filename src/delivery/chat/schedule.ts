import type { Logger } from 'pino';
import { createDueQueue } from '../due-queue.js';

/** Bring one chat's copy of a record in step with the record (the `version` it was due for). */
export interface ChatJob {
  recordId: string;
  chat: string;
  version: number;
}

/**
 * What one run of a job did: whether it called the platform (pacing counts only calls), and
 * when the same record needs another run on that chat (a retry, an edit that came during the
 * call), or null when it is in step.
 */
export interface ChatRunResult {
  called: boolean;
  next: number | null;
  /**
   * This process may not act on the record (another instance leads now): a shared queue leaves
   * the job to the one that does and stops taking jobs; in process it is dropped.
   */
  yielded?: true;
}

/** Where a chat output's posts and edits wait until they are due (`ctx.chatQueue`). */
export interface ChatSchedule {
  /**
   * Make `job` due at `at` (epoch ms) or later. A job waiting for the same record and chat is
   * not doubled: in process it is moved to `at`; on Redis one job per record, chat and version.
   */
  due(job: ChatJob, at: number): Promise<void>;
  /**
   * Begin running due jobs with `run`: one at a time per chat, paced. `resync` is called when
   * jobs may have been lost (Redis back after an outage): it should make due again whatever is
   * out of step. `depth` is told how many jobs wait.
   */
  start(hooks: { run(job: ChatJob): Promise<ChatRunResult>; resync(): void; depth(n: number): void }): void;
  /** Run nothing more (sending disabled until a reload); a job in flight goes on. */
  halt(): void;
  /**
   * Run nothing more and wait for the job in flight; after `graceMs`, `abort()` is called to cut
   * its call short, and it is still waited for. Never rejects.
   */
  stop(graceMs: number, abort: () => void): Promise<void>;
  /** Jobs waiting (as last counted). */
  size(): number;
}

/** How a chat output wants its calls paced (`ctx.chatQueue`). */
export interface ChatQueueOptions {
  /** The configured chats: one queue each. */
  chats: readonly string[];
  /** Least time between two calls to one chat, and between any two calls of the instance. */
  pacing: { perChatMs: number; globalMs: number };
  /** The platform's limit per chat, for a queue shared across processes (BullMQ's limiter). */
  limit: { max: number; durationMs: number };
  log: Logger;
}

/**
 * The in-process schedule (the embedded engine): a due queue of `record\nchat` items, one call
 * at a time for the instance, each chat and all of them paced by `pacing`. A record made due
 * again while it runs is run again after.
 */
export function createLocalChatSchedule(options: ChatQueueOptions): ChatSchedule {
  const { pacing, log } = options;
  const chatFree = new Map<string, number>();
  let globalFree = 0;
  const versions = new Map<string, number>();
  const itemOf = (recordId: string, chat: string) => `${recordId}\n${chat}`;
  const split = (item: string): ChatJob => {
    const i = item.lastIndexOf('\n');
    return { recordId: item.slice(0, i), chat: item.slice(i + 1), version: versions.get(item) ?? 0 };
  };
  let hooks: Parameters<ChatSchedule['start']>[0] | null = null;
  const queue = createDueQueue({
    concurrency: 1,
    run: async (item) => {
      queue.delete(item);
      const job = split(item);
      try {
        const result = await hooks!.run(job);
        if (result.called) {
          chatFree.set(job.chat, Date.now() + pacing.perChatMs);
          globalFree = Date.now() + pacing.globalMs;
        }
        // Made due again during the run (a newer version): that time stands.
        if (result.next !== null && !queue.has(item)) queue.set(item, result.next);
      } finally {
        if (!queue.has(item)) versions.delete(item);
      }
    },
    onError: (error) => log.error({ err: error }, `chat sync failed: ${String(error)}`),
    readyAt: (item, due) => Math.max(due, chatFree.get(split(item).chat) ?? 0, globalFree),
    onSettled: () => hooks?.depth(queue.size()),
  });
  return {
    async due(job, at) {
      const item = itemOf(job.recordId, job.chat);
      versions.set(item, job.version);
      queue.set(item, at);
      queue.pump();
    },
    start(h) {
      hooks = h;
      queue.start();
    },
    halt: () => queue.stop(),
    async stop(graceMs, abort) {
      queue.stop();
      const settled = queue.flush();
      if (queue.inFlight() > 0) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([settled, new Promise((r) => (grace = setTimeout(r, graceMs)))]);
        clearTimeout(grace);
      }
      abort();
      await settled;
    },
    size: () => queue.size(),
  };
}
