import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv } from '../helpers/env.js';
import { startSpout } from '../helpers/ws/server.js';
import { whale } from '../helpers/ws/whales.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

/** The first code block of `lang` under `heading` in docs/websocket.md. */
async function block(heading: string, lang: string): Promise<string> {
  const doc = await readFile(fileURLToPath(new URL('../../docs/websocket.md', import.meta.url)), 'utf8');
  const after = doc.slice(doc.indexOf(heading));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(after);
  if (!m) throw new Error(`no ${lang} block under ${heading}`);
  return m[1]!;
}

describe('docs/websocket.md', () => {
  it('the Node client example, run as written, authenticates, subscribes with its filter and prints whales', async () => {
    const spout = await startSpout('outputs:\n  live: { use: websocket }\n');
    cleanups.push(() => spout.stop());
    // Inside the project, so `import WebSocket from 'ws'` resolves as it would for a user.
    const dir = fileURLToPath(new URL('../../node_modules/.cache/spout-docs/', import.meta.url));
    await mkdir(dir, { recursive: true });
    const file = `${dir}client-${process.pid}.mjs`;
    await writeFile(file, await block('### A Node client', 'js'));
    const child = spawn(process.execPath, [file], {
      env: childEnv({
        SPOUT_WS: spout.wsUrl(),
        SPOUT_TOKEN: await spout.token({ sub: 'docs' }),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => pattern.test(out) && (child.stdout.off('data', onData), resolve());
        const onData = (d: Buffer) => ((out += String(d)), check());
        child.stdout.on('data', onData);
        child.once('exit', (code) => reject(new Error(`client exited (${code}): ${out}`)));
        check();
      });
    await seen(/^listening as docs until \d{4}-/m);
    // The example subscribes to whale.* with minBtc 500: the small whale is filtered out.
    spout.kernel.bus.publish('whale.detected', whale(1, 120), 'test');
    spout.kernel.bus.publish('whale.detected', whale(2, 650), 'test');
    spout.kernel.bus.publish('whale.dropped', { txid: whale(2).txid, reason: 'test' }, 'test');
    await seen(/whale\.dropped /);
    expect(out).toContain(`650 BTC medium https://mempool.space/tx/${whale(2).txid}`);
    expect(out).toContain(`whale.dropped ${whale(2).txid}`);
    expect(out).not.toContain('120 BTC');
  });
});
