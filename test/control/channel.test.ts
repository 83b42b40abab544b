import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { answerFile, type JsonObject } from '../../src/control/channel.js';
import {
  createRequestReader,
  defineRequestHandler,
  type RequestReaderOptions,
} from '../../src/control/reader.js';
import {
  awaitAnswer,
  queuedRequests,
  sendRequest,
  withdrawRequest,
  writeRequest,
} from '../../src/control/writer.js';
import { steppedClock } from '../helpers/clock.js';
import { captureLog } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface Add {
  type: 'add';
  n: number;
}
const addOf = (r: JsonObject): Add | null => (typeof r.n === 'number' ? { type: 'add', n: r.n } : null);

/**
 * A reader of a fresh folder (holding the requests `left` before it starts) with one handler
 * (`add`: sums `n`, answers the running total) and a pid file beside the folder, its files aged
 * on a clock the test moves. The timer is left out of the way: the test drains, while the folder
 * watcher starts passes of its own.
 */
async function channel(options: Partial<RequestReaderOptions> = {}, left: Record<string, object> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'spout-channel-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, 'spout.json.requests');
  await mkdir(dir);
  for (const [name, request] of Object.entries(left))
    await writeFile(join(dir, name), JSON.stringify(request));
  const applied: Array<{ n: number; name: string }> = [];
  const add = defineRequestHandler<Add>({
    parse: addOf,
    apply: (request, name) => (
      applied.push({ n: request.n, name }),
      { total: applied.reduce((sum, a) => sum + a.n, 0) }
    ),
  });
  const log = captureLog();
  const clock = steppedClock();
  const pidFile = join(root, 'spout.json.pid');
  const reader = createRequestReader({
    dir,
    pidFile,
    handlers: { add },
    log: log.log,
    intervalMs: 3_600_000,
    watch: true,
    graceMs: 5_000,
    staleMs: 60_000,
    now: clock.now,
    ...options,
  });
  await reader.start();
  cleanups.push(reader.stop);
  return { dir, pidFile, reader, applied, log, clock };
}

describe('the request channel', () => {
  it('a request written aside and renamed is applied exactly once, answered, and nothing is left behind', async () => {
    const { dir, reader, applied, log } = await channel();
    const file = await writeRequest(dir, { type: 'add', n: 2 });
    // Passes asked for while one runs coalesce; none takes the request a second time.
    await Promise.all([reader.drain(), reader.drain(), reader.drain()]);
    await reader.drain();
    expect(applied).toEqual([{ n: 2, name: file.slice(dir.length + 1) }]);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(answerFile(file))).toBe(true);
    expect(await awaitAnswer(file, 1_000)).toEqual({ total: 2 });
    expect(await readdir(dir)).toEqual([]);
    expect(log.lines.filter((l) => l.level !== 'info' && l.level !== 'debug')).toEqual([]);
  });

  it('applies the requests left before it started, at start, in the order they were written', async () => {
    // Named as writeRequest names them: time first.
    const files = ['1700000000002-9-a.json', '1700000000001-9-z.json', '1700000000003-9-m.json'];
    const { dir, applied } = await channel(
      {},
      Object.fromEntries(files.map((name, i) => [name, { type: 'add', n: 10 ** i }])),
    );
    expect(applied.map((a) => a.name)).toEqual([files[1], files[0], files[2]]);
    const answers = [];
    for (const name of files) answers.push(await awaitAnswer(join(dir, name), 1_000));
    expect(answers).toEqual([{ total: 11 }, { total: 10 }, { total: 111 }]);
  });

  it('sendRequest writes and waits for the answer the running reader gives', async () => {
    const { dir } = await channel({ intervalMs: 5 });
    expect(await sendRequest(dir, { type: 'add', n: 3 }, 5_000)).toEqual({
      file: expect.stringMatching(/\.json$/),
      answer: { total: 3 },
    });
  });

  it('leaves a file that is no valid request alone for the grace period, then answers it with an error', async () => {
    const { dir, reader, applied, clock, log } = await channel({ invalid: 'not an add request' });
    const cases = ['{"type":"add","n":', '[1]', '{"type":"add","n":"1"}', '{"type":"other"}'];
    const files = cases.map((_, i) => join(dir, `${i}-0-x.json`));
    for (const [i, text] of cases.entries()) await writeFile(files[i]!, text); // in place, not renamed
    await reader.drain();
    expect(files.map(existsSync)).toEqual([true, true, true, true]); // their writers may still be writing
    clock.advance(4_999);
    await reader.drain();
    expect(files.map(existsSync)).toEqual([true, true, true, true]);
    clock.advance(1);
    await reader.drain();
    for (const file of files) expect(await awaitAnswer(file, 1_000)).toEqual({ error: 'not an add request' });
    expect(applied).toEqual([]);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(4);
  });

  it('a torn request completed in place within the grace period is applied', async () => {
    const { dir, reader, applied, clock } = await channel();
    const file = join(dir, '1-0-slow.json');
    await writeFile(file, '{"type":"add"');
    await reader.drain();
    clock.advance(10_000);
    await writeFile(file, '{"type":"add","n"'); // still torn, but changed: its grace starts again
    await reader.drain();
    expect(existsSync(file)).toBe(true);
    await writeFile(file, '{"type":"add","n":5}');
    await reader.drain();
    expect(applied.map((a) => a.n)).toEqual([5]);
    expect(await awaitAnswer(file, 1_000)).toEqual({ total: 5 });
  });

  it('answers a request its handler fails on with the error, and logs it', async () => {
    const fail = defineRequestHandler<JsonObject>({
      parse: (r) => r,
      apply: () => {
        throw new Error('disk full');
      },
    });
    const { dir, reader, log } = await channel({ handlers: { fail } });
    const file = await writeRequest(dir, { type: 'fail' });
    await reader.drain();
    expect(await awaitAnswer(file, 1_000)).toEqual({ error: 'disk full' });
    expect(log.lines.filter((l) => l.level === 'error')).toMatchObject([
      { request: file.slice(dir.length + 1) },
    ]);
  });

  it('sweeps answers and temporary files once they have stood unchanged, as the reader watched them', async () => {
    const { dir, reader, clock } = await channel();
    const old = ['1-0-a.json.done', '1-0-b.json.tmp', '1-0-c.json.done.tmp'];
    for (const name of [...old, 'consumer.pid']) await writeFile(join(dir, name), '{}');
    await reader.drain(); // first seen now, whatever their modification times say
    clock.advance(59_999);
    await writeFile(join(dir, '2-0-d.json.done'), '{}');
    await reader.drain();
    expect((await readdir(dir)).sort()).toEqual([...old, '2-0-d.json.done', 'consumer.pid'].sort());
    clock.advance(1);
    await reader.drain();
    expect((await readdir(dir)).sort()).toEqual(['2-0-d.json.done', 'consumer.pid']);
    await writeFile(join(dir, '2-0-d.json.done'), '{"x":1}'); // changed: its age starts again
    clock.advance(59_999);
    await reader.drain();
    expect((await readdir(dir)).sort()).toEqual(['2-0-d.json.done', 'consumer.pid']);
  });

  it('writes its pid file at start and removes it at stop; takes no request once stopped', async () => {
    const { dir, pidFile, reader, applied } = await channel();
    expect(await readFile(pidFile, 'utf8')).toBe(String(process.pid));
    await reader.stop();
    expect(existsSync(pidFile)).toBe(false);
    const file = await writeRequest(dir, { type: 'add', n: 1 });
    await reader.drain();
    expect(applied).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });
});

describe('the command side', () => {
  it('writes a request aside and renames it: only the complete request is there under its name', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spout-channel-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, 'requests');
    const file = await writeRequest(dir, { type: 'add', n: 2 });
    const name = file.slice(dir.length + 1);
    expect(name).toMatch(new RegExp(`^\\d+-${process.pid}-\\w+\\.json$`)); // time first: applied in order
    expect(await readdir(dir)).toEqual([name]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ type: 'add', n: 2 });
  });

  it('lists the requests no process has taken yet, in order, leaving out torn files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spout-channel-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dir = join(root, 'requests');
    expect(await queuedRequests(dir)).toEqual([]); // no folder yet
    await writeRequest(dir, {}); // creates the folder
    await writeFile(join(dir, (await readdir(dir))[0]!), '{"type":'); // torn
    await writeFile(join(dir, '1-0-a.json'), '{"type":"add","n":1}'); // an earlier one
    await writeFile(join(dir, '9-0-other.json.done'), '{"total":1}');
    const last = await writeRequest(dir, { type: 'add', n: 2 });
    expect(await queuedRequests(dir)).toEqual([
      { type: 'add', n: 1 },
      { type: 'add', n: 2 },
    ]);
    await withdrawRequest(last);
    expect(await queuedRequests(dir)).toEqual([{ type: 'add', n: 1 }]);
    expect(await awaitAnswer(last, 0)).toBeNull();
  });
});
