import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenService } from '../../src/auth/hub.js';
import { parseTokenRequest, tokenRequestsDir } from '../../src/auth/requests.js';
import { awaitAnswer, writeRequest } from '../../src/control/writer.js';
import { openLowdbStore } from '../../src/store/lowdb.js';
import { captureLog } from '../helpers/kernel.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

const at = new Date().toISOString();

describe('token revoke requests and --force', () => {
  it('reads a revoke request without the flag (written before it existed) as forced, as it always meant', () => {
    expect(parseTokenRequest(JSON.stringify({ type: 'token.revoke', jti: 'j', at }))).toEqual({
      type: 'token.revoke',
      jti: 'j',
      at,
      force: true,
    });
    expect(parseTokenRequest(JSON.stringify({ type: 'token.revoke', jti: 'j', at, force: false }))).toEqual({
      type: 'token.revoke',
      jti: 'j',
      at,
      force: false,
    });
    expect(
      parseTokenRequest(JSON.stringify({ type: 'token.revoke', jti: 'j', at, force: 'yes' })),
    ).toBeNull();
  });

  it('the running process refuses an unknown jti without force (records nothing, closes nothing) and revokes it with force or an old request', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spout-revoke-force-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const path = join(root, 'spout.json');
    const dir = tokenRequestsDir(path);
    await mkdir(dir, { recursive: true });
    const store = await openLowdbStore({ path });
    cleanups.push(() => store.close());
    const told: string[] = [];
    const { hub, release } = await createTokenService(store, captureLog().log).join(
      (jti) => (told.push(jti), 1),
    );
    cleanups.push(release);

    const refused = await writeRequest(dir, { type: 'token.revoke', jti: 'unknown', at, force: false });
    expect(await awaitAnswer(refused, 5000)).toEqual({
      known: false,
      already: false,
      refused: true,
      closed: 0,
    });
    expect(hub.registry.has('unknown')).toBe(false);
    expect(told).toEqual([]);

    hub.registry.record({ jti: 'mine', sub: 'me', scope: ['alerts:read'] });
    const known = await writeRequest(dir, { type: 'token.revoke', jti: 'mine', at, force: false });
    expect(await awaitAnswer(known, 5000)).toEqual({ known: true, already: false, closed: 1 });

    const forced = await writeRequest(dir, { type: 'token.revoke', jti: 'unknown', at, force: true });
    expect(await awaitAnswer(forced, 5000)).toEqual({ known: false, already: false, closed: 1 });
    const old = await writeRequest(dir, { type: 'token.revoke', jti: 'old-file', at });
    expect(await awaitAnswer(old, 5000)).toEqual({ known: false, already: false, closed: 1 });
    expect(['mine', 'unknown', 'old-file'].map((j) => hub.registry.isRevoked(j))).toEqual([true, true, true]);
    expect(told).toEqual(['mine', 'unknown', 'old-file']);
  });
});
