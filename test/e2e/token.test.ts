import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.js';
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

  it('revoke of an id never issued here exits 1 with what to do and revokes nothing; --force revokes it (spout stopped)', async () => {
    const dir = await workspace();
    const mine = await create(dir, 'mine');
    const typo = await run(['token', 'revoke', 'no-such-jti'], { cwd: dir, env });
    expect(typo.code).toBe(1);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toMatch(/no token "no-such-jti" was issued here, so nothing was revoked/);
    expect(typo.stderr).toMatch(/spout token list shows the ids/);
    expect(typo.stderr).toContain('spout token revoke no-such-jti --force');
    const elsewhere = await issuedElsewhere();
    expect((await run(['token', 'revoke', jtiOf(elsewhere)], { cwd: dir, env })).code).toBe(1);
    const listed = JSON.parse((await run(['token', 'list', '--json'], { cwd: dir, env })).stdout) as Array<{
      jti: string;
      state: string;
    }>;
    expect(listed).toEqual([expect.objectContaining({ jti: jtiOf(mine), state: 'active' })]);

    const forced = await run(['token', 'revoke', jtiOf(elsewhere), '--force'], { cwd: dir, env });
    expect(forced).toMatchObject({
      code: 0,
      stdout: `token ${jtiOf(elsewhere)} revoked (not issued by spout token create here; refused from now on all the same)\n`,
    });
    expect((await run(['token', 'list'], { cwd: dir, env })).stdout).toMatch(
      new RegExp(`${jtiOf(elsewhere)}\\s+revoked`),
    );
    // --force changes nothing for a token issued here.
    expect(await run(['token', 'revoke', jtiOf(mine), '--force'], { cwd: dir, env })).toMatchObject({
      code: 0,
      stdout: `token ${jtiOf(mine)} revoked\n`,
    });
  });

  it('revoke of an id never issued here, spout running: the running process refuses it, the token stays valid; --force closes its connection', async () => {
    const dir = await workspace();
    const p = spout(['run'], dir);
    await p.waitFor(/Spout running.*http:\/\/127\.0\.0\.1:\d+/);
    const url = `ws://127.0.0.1:${/http:\/\/127\.0\.0\.1:(\d+)/.exec(p.stderr())?.[1]}/ws`;
    const elsewhere = await issuedElsewhere();
    const a = client(url, { token: elsewhere });
    await a.next(isType('auth.ok'));

    const refused = await run(['token', 'revoke', jtiOf(elsewhere)], { cwd: dir, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`no token "${jtiOf(elsewhere)}" was issued here, so nothing was revoked`),
    );
    expect(refused.stderr).toContain(`spout token revoke ${jtiOf(elsewhere)} --force`);
    await p.waitFor(`token ${jtiOf(elsewhere)} not revoked: no such token was issued here`);
    // Not recorded, connection open, and the token still accepted.
    expect(JSON.parse((await run(['token', 'list', '--json'], { cwd: dir, env })).stdout)).toEqual([]);
    await new Promise((resolve) => (a.ws.once('pong', resolve), a.ws.ping()));
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    await client(url, { token: elsewhere }).next(isType('auth.ok'));

    const forced = await run(['token', 'revoke', jtiOf(elsewhere), '--force'], { cwd: dir, env });
    expect(forced).toMatchObject({
      code: 0,
      stdout: `token ${jtiOf(elsewhere)} revoked (not issued by spout token create here; refused from now on all the same); 2 open connection(s) closed\n`,
    });
    expect(await a.closed).toMatchObject({ code: 4401, reason: 'token revoked' });
    expect((await client(url, { token: elsewhere }).closed).code).toBe(4401);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 30_000);

  it('revoke of an unknown id while the running spout does not apply token requests is refused before anything is queued', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spout-token-'));
    await writeFile(
      join(dir, 'config.yaml'),
      [
        'log: { level: info, format: json }',
        'http: { enabled: false }',
        'storage: { path: ./spout.json }',
        'auth: { secret: "${SPOUT_AUTH_SECRET}" }',
        'inputs:',
        '  feed: { use: replay }',
      ].join('\n'),
    );
    const p = spout(['run'], dir);
    await p.waitFor('Spout running');
    const queuedToken = await create(dir, 'queued'); // left in the requests folder
    const typo = await run(['token', 'revoke', 'no-such-jti'], { cwd: dir, env });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/no token "no-such-jti" was issued here/);
    // A token waiting in the folder is known: its revocation is queued behind it.
    const queued = await run(['token', 'revoke', jtiOf(queuedToken)], { cwd: dir, env });
    expect(queued).toMatchObject({ code: 0 });
    expect(queued.stdout).toMatch(/revoked; the running spout applies it once/);
    const listed = JSON.parse((await run(['token', 'list', '--json'], { cwd: dir, env })).stdout) as Array<{
      jti: string;
      state: string;
    }>;
    expect(listed).toEqual([expect.objectContaining({ jti: jtiOf(queuedToken), state: 'revoked' })]);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  }, 30_000);
});

/** A token signed with the same secret but not made by `spout token create` here. */
async function issuedElsewhere(): Promise<string> {
  const { token } = await createToken({
    secret: SECRET,
    sub: 'elsewhere',
    ttlMs: 3_600_000,
    scopes: ['alerts:read'],
  });
  return token;
}
