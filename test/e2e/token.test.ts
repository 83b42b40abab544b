import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, start, type Running } from '../helpers/cli.js';
import { connect, isType, type TestClient } from '../helpers/ws/client.js';

// The built CLI as child processes: `spout run` with a websocket output, and `spout token …`
// run beside it, as an operator would. Clients are real `ws` clients on 127.0.0.1.

const SECRET = 'e2e-secret-never-print-me-0123456789abcdefghij';
const env = { SPOUT_AUTH_SECRET: SECRET };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function workspace(extra: string[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'spout-token-'));
  await writeFile(
    join(dir, 'config.yaml'),
    [
      'log: { level: info, format: json }',
      'http: { listen: "127.0.0.1:0" }',
      'storage: { path: ./spout.json }',
      'auth: { secret: "${SPOUT_AUTH_SECRET}" }',
      'inputs:',
      '  feed: { use: replay }',
      'outputs:',
      '  live: { use: websocket }',
      ...extra,
    ].join('\n'),
  );
  return dir;
}

const spout = (args: string[], dir: string): Running => {
  const p = start(args, { cwd: dir, env });
  cleanups.push(() => p.child.kill('SIGKILL'));
  return p;
};
const client = (...args: Parameters<typeof connect>): TestClient => {
  const c = connect(...args);
  cleanups.push(() => c.ws.terminate());
  return c;
};
const jtiOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).jti as string;

async function create(dir: string, sub: string, scope?: string) {
  const r = await run(
    ['token', 'create', '--sub', sub, '--ttl', '1h', ...(scope ? ['--scope', scope] : [])],
    {
      cwd: dir,
      env,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  const token = r.stdout.trim();
  expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  return token;
}

describe('spout token (built CLI)', () => {
  it('revoke, run as a separate process while clients are connected, closes that token’s client within a second; the others stay', async () => {
    const dir = await workspace();
    const leaked = await create(dir, 'leaked'); // written to the store directly: nothing runs yet
    const p = spout(['run'], dir);
    await p.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    const url = `ws://127.0.0.1:${/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]}/ws`;
    const kept = await create(dir, 'kept', 'alerts:read,api:read'); // handed to the running process

    const a = client(url, { token: leaked });
    const b = client(url, { bearer: kept });
    const c = client(url, { token: kept });
    for (const x of [a, b, c]) await x.next(isType('auth.ok'));

    const closedAt = a.closed.then((closed) => ({ ...closed, at: Date.now() }));
    const began = Date.now();
    const revoke = await run(['token', 'revoke', jtiOf(leaked)], { cwd: dir, env });
    const ended = Date.now();
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toMatch(
      new RegExp(`token ${jtiOf(leaked)} revoked; 1 open connection\\(s\\) closed`),
    );
    const closed = await closedAt;
    expect(closed).toMatchObject({ code: 4401, reason: 'token revoked' });
    // When the revocation was issued: the command stamps it (revokedAt) just before handing it
    // over, and `list --json` shows the stamp (same machine, same clock).
    const listed = await run(['token', 'list', '--json'], { cwd: dir, env });
    const records = JSON.parse(listed.stdout) as Array<{ jti: string; revokedAt?: string }>;
    const issuedAt = Date.parse(records.find((r) => r.jti === jtiOf(leaked))?.revokedAt ?? '');
    expect(issuedAt).toBeGreaterThanOrEqual(began);
    // Closed within a second of the revocation being issued, before the command returned
    // (it waits for the running process to apply it). The whole command, a Node start and the
    // configuration load included, takes about 0.6 s here.
    expect(closed.at - issuedAt).toBeLessThan(1_000);
    expect(closed.at).toBeLessThanOrEqual(ended + 50);
    expect(closed.at - began).toBeLessThan(5_000);
    for (const x of [b, c]) {
      await new Promise((resolve) => (x.ws.once('pong', resolve), x.ws.ping()));
      expect(x.ws.readyState).toBe(x.ws.OPEN);
    }
    // Refused from now on.
    expect((await client(url, { token: leaked }).closed).code).toBe(4401);

    const list = await run(['token', 'list'], { cwd: dir, env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${jtiOf(leaked)}\\s+revoked\\s+leaked`));
    expect(list.stdout).toMatch(new RegExp(`${jtiOf(kept)}\\s+active\\s+kept\\s+alerts:read,api:read`));

    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
    expect((await b.closed).code).toBe(1001);
    for (const text of [p.stdout(), p.stderr(), revoke.stdout, revoke.stderr, list.stdout])
      expect(text).not.toContain(SECRET);

    // The revocation is in the store: after a restart the token is still refused.
    const again = spout(['run'], dir);
    await again.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    const url2 = `ws://127.0.0.1:${/http:\/\/127\.0\.0\.1:(\d+)/.exec(again.stderr())?.[1]}/ws`;
    expect((await client(url2, { token: leaked }).closed).code).toBe(4401);
    await client(url2, { token: kept }).next(isType('auth.ok'));
  }, 30_000);

  it('revoke and list without a running spout work on the store; unknown subcommands and bad flags exit 2', async () => {
    const dir = await workspace();
    const token = await create(dir, 'solo');
    const revoke = await run(['token', 'revoke', jtiOf(token)], { cwd: dir, env });
    expect(revoke).toMatchObject({ code: 0, stdout: `token ${jtiOf(token)} revoked\n` });
    expect((await run(['token', 'list', '--json'], { cwd: dir, env })).stdout).toContain(
      '"state": "revoked"',
    );
    expect((await run(['token', 'rotate'], { cwd: dir, env })).code).toBe(2);
    expect(
      (await run(['token', 'create', '--sub', 'x', '--scope', 'admin'], { cwd: dir, env })).stderr,
    ).toMatch(/--scope takes alerts:read, api:read/);
    expect((await run(['token', 'create', '--sub', 'x', '--ttl', 'forever'], { cwd: dir, env })).code).toBe(
      2,
    );
    expect((await run(['token', 'create'], { cwd: dir, env })).stderr).toMatch(/--sub NAME is required/);
  });

  it('a short auth.secret stops spout run with a located configuration error (exit 2) and spout token create refuses it', async () => {
    const dir = await workspace();
    const short = { SPOUT_AUTH_SECRET: 'too-short-secret' };
    const r = await run(['run'], { cwd: dir, env: short });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /config\.yaml:8:\d+\s+outputs\.live\s+\(websocket output\) needs a longer auth\.secret: it has 16 bytes/,
    );
    expect(r.stderr).not.toContain('too-short-secret');
    const c = await run(['token', 'create', '--sub', 'x'], { cwd: dir, env: short });
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/needs a longer auth\.secret/);
    expect(c.stderr).not.toContain('too-short-secret');
  });
});
