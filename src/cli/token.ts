import { createTokenRegistry, recordOf, tokenState } from '../auth/registry.js';
import {
  tokenConsumerFile,
  tokenRequestOf,
  tokenRequestsDir,
  type TokenRequest,
  type TokenRequestResult,
} from '../auth/requests.js';
import { DEFAULT_SCOPES, SCOPES, parseScopes } from '../auth/scopes.js';
import { secretProblem } from '../auth/secret.js';
import { MAX_TOKEN_AGE_S, createToken } from '../auth/tokens.js';
import { isDuration, parseDuration } from '../config/durations.js';
import { pidFile, processAlive } from '../control/pid.js';
import { awaitAnswer, queuedRequests, writeRequest } from '../control/writer.js';
import { isSpoutError } from '../kernel/errors.js';
import { createRedactor } from '../log/redact.js';
import { readStoreFiles } from '../store/file-format.js';
import { openLowdbStore } from '../store/lowdb.js';
import { COLLECTIONS, type TokenRecord } from '../store/records.js';
import type { CliEnv } from './io.js';
import { loadForCommand } from './load.js';
import type { TokenOps } from './token-redis.js';

const USAGE =
  'spout token create --sub NAME [--ttl 12h] [--scope alerts:read,api:read] [--json] | list [--json] | revoke JTI [--force]';
/** Longest lifetime `--ttl` accepts (what verification allows): a bearer credential must end. */
const MAX_TTL_MS = MAX_TOKEN_AGE_S * 1000;
/** How long to wait for a running spout to apply a request. */
const WAIT_MS = 10_000;

export interface TokenFlags {
  config?: string;
  json?: boolean;
  sub?: string;
  ttl?: string;
  scope?: string;
  /** revoke: revoke a jti even though it was not issued here (a token made elsewhere with the same secret). */
  force?: boolean;
}

/**
 * `spout token create|list|revoke`. Tokens are HS256 JWTs signed with `auth.secret`; the store
 * keeps their claims (never the token) and revocations. While `spout run` owns the store, create
 * and revoke hand their change to it (a revocation closes that token's connections at once);
 * otherwise they write the store themselves. revoke refuses a jti that was never issued here
 * (a typo would otherwise leave the real token valid) unless `--force` is given. Exit 0; 2 for
 * usage or configuration errors; 1 when the jti is unknown, the store cannot be used or the
 * running process does not answer.
 */
export async function tokenCommand(args: string[], flags: TokenFlags, cli: CliEnv): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') {
    cli.io.err(
      `spout token: ${sub ? `unknown subcommand "${sub}"` : 'missing subcommand'} (SPOUT_CLI_USAGE)\nUsage: ${USAGE}\n`,
    );
    return 2;
  }
  const config = await loadForCommand(flags.config, cli);
  if (typeof config === 'number') return config;
  const scrub = createRedactor(config.secrets, config.strictSecrets);
  const fail = (message: string, code: number) => (
    cli.io.err(scrub(`spout token ${sub}: ${message}\n`)),
    code
  );
  const path = config.storage.path;
  let ops: TokenOps | null = null;
  try {
    ops =
      config.engine.use === 'redis'
        ? await (await import('./token-redis.js')).openRedisTokens(config)
        : { list: () => listTokens(path), submit: (r) => submit(path, r), close: async () => {} };
    if (sub === 'create') {
      const problem = secretProblem(config.auth.secret);
      if (problem) return fail(`the configuration ${problem} (SPOUT_CONFIG_INVALID)`, 2);
      if (!flags.sub || !/^[\w.@:-]{1,128}$/.test(flags.sub))
        return fail('--sub NAME is required: who holds the token (letters, digits, . _ - @ :, up to 128)', 2);
      const ttl = flags.ttl ?? '12h';
      const ttlMs = isDuration(ttl) ? parseDuration(ttl) : NaN;
      if (!(ttlMs >= 1000 && ttlMs <= MAX_TTL_MS))
        return fail(`--ttl must be a duration from 1s to 366d, such as 12h or 30d (got "${ttl}")`, 2);
      const scopes = parseScopes(flags.scope ?? DEFAULT_SCOPES.join(','));
      if (!scopes.ok)
        return fail(
          `--scope takes ${SCOPES.join(', ')} (comma-separated); unknown: ${scopes.unknown.join(', ') || 'none given'}`,
          2,
        );
      const { token, claims } = await createToken({
        secret: config.auth.secret as string,
        sub: flags.sub,
        ttlMs,
        scopes: scopes.scopes,
      });
      const record = recordOf(claims);
      const applied = await ops.submit({ type: 'token.issued', record });
      if (typeof applied === 'string') return fail(applied, 1);
      if (flags.json) cli.io.out(JSON.stringify({ token, ...record }, null, 2) + '\n');
      else {
        cli.io.out(`${token}\n`);
        cli.io.err(
          `token for "${record.sub}" (${record.scope?.join(' ')}), jti ${record.jti}, expires ${record.expiresAt}` +
            `${applied.queued ? '; recorded once the running spout has a websocket output or the API' : ''}\n`,
        );
      }
      return 0;
    }
    if (sub === 'list') {
      const records = await ops.list();
      const now = new Date();
      if (flags.json)
        cli.io.out(
          JSON.stringify(
            records.map((r) => ({ ...r, state: tokenState(r, now) })),
            null,
            2,
          ) + '\n',
        );
      else
        cli.io.out(records.length === 0 ? 'no tokens\n' : records.map((r) => line(r, now)).join('\n') + '\n');
      return 0;
    }
    const jti = rest[0];
    if (!jti || rest.length > 1 || jti.length > 128) return fail(`give one token id (jti): ${USAGE}`, 2);
    const force = flags.force === true;
    const applied = await ops.submit({ type: 'token.revoke', jti, at: new Date().toISOString(), force });
    if (typeof applied === 'string') return fail(applied, 1);
    const r = applied.result;
    if (r.refused)
      return fail(
        `no token "${jti}" was issued here, so nothing was revoked (spout token list shows the ids).\n` +
          `  If it was issued elsewhere with the same auth.secret, revoke it anyway: spout token revoke ${jti} --force`,
        1,
      );
    const known =
      r.known === false ? ' (not issued by spout token create here; refused from now on all the same)' : '';
    cli.io.out(
      applied.queued
        ? `token ${jti} revoked${known}; the running spout applies it once it has a websocket output or the API\n`
        : `token ${jti} ${r.already ? 'was already revoked' : 'revoked'}${known}` +
            (r.instances !== undefined
              ? `; ${r.instances} running instance(s) told, each closes its connections`
              : applied.running
                ? `; ${r.closed ?? 0} open connection(s) closed`
                : '') +
            '\n',
    );
    return 0;
  } catch (error) {
    if (!isSpoutError(error)) throw error;
    return fail(error.message, error.exit);
  } finally {
    await ops?.close();
  }
}

function line(r: TokenRecord, now: Date): string {
  return [
    r.jti,
    tokenState(r, now).padEnd(7),
    (r.sub ?? '-').padEnd(12),
    (r.scope ?? []).join(',').padEnd(20),
    `expires ${r.expiresAt ?? '-'}`,
    r.revokedAt ? `revoked ${r.revokedAt}` : '',
  ]
    .join('  ')
    .trimEnd();
}

/** Stored tokens plus requests not yet applied, oldest first. */
async function listTokens(path: string): Promise<TokenRecord[]> {
  const { data } = await readStoreFiles(path);
  const byJti = new Map(
    Object.values((data.collections[COLLECTIONS.tokens] ?? {}) as Record<string, TokenRecord>).map((r) => [
      r.jti,
      r,
    ]),
  );
  for (const queued of await queuedRequests(tokenRequestsDir(path))) {
    const request = tokenRequestOf(queued);
    if (request?.type === 'token.issued')
      byJti.set(request.record.jti, { ...byJti.get(request.record.jti), ...request.record });
    if (request?.type === 'token.revoke')
      byJti.set(request.jti, { ...(byJti.get(request.jti) ?? { jti: request.jti }), revokedAt: request.at });
  }
  return [...byJti.values()].sort((a, b) =>
    (a.issuedAt ?? a.revokedAt ?? '').localeCompare(b.issuedAt ?? b.revokedAt ?? ''),
  );
}

/**
 * Apply a request: through the running process when one owns the store (waiting for it), left
 * queued when that process has nothing that applies token requests, else on the store directly.
 * Returns an error sentence when the running process does not answer.
 */
async function submit(
  path: string,
  request: TokenRequest,
): Promise<{ result: TokenRequestResult; running: boolean; queued: boolean } | string> {
  // A token created while a running spout could not apply it yet waits in the requests folder.
  const queuedIssue = async (jti: string) =>
    (await listTokens(path)).some((r) => r.jti === jti && r.sub !== undefined);
  const refused = { result: { known: false, already: false, refused: true }, running: false, queued: false };
  if (!processAlive(pidFile(path))) {
    const store = await openLowdbStore({ path });
    try {
      const registry = createTokenRegistry(store);
      if (request.type === 'token.issued')
        return (registry.record(request.record), { result: {}, running: false, queued: false });
      const waiting = !registry.has(request.jti) && (await queuedIssue(request.jti));
      if (!request.force && !registry.has(request.jti) && !waiting) return refused;
      const result = registry.revoke(request.jti, new Date(request.at));
      return { result: { ...result, known: result.known || waiting }, running: false, queued: false };
    } finally {
      await store.close();
    }
  }
  const dir = tokenRequestsDir(path);
  const consumer = processAlive(tokenConsumerFile(path));
  // Nobody answers a queued request: check here that the jti is known before leaving it.
  if (!consumer && request.type === 'token.revoke' && !request.force) {
    const { data } = await readStoreFiles(path);
    const stored = (data.collections[COLLECTIONS.tokens] ?? {}) as Record<string, TokenRecord>;
    if (!Object.hasOwn(stored, request.jti) && !(await queuedIssue(request.jti)))
      return { ...refused, running: true };
  }
  const file = await writeRequest(dir, request);
  if (!consumer) return { result: {}, running: true, queued: true };
  const result = await awaitAnswer<TokenRequestResult>(file, WAIT_MS);
  if (result) {
    if (result.error) return `the running spout could not apply it: ${result.error}`;
    return { result, running: true, queued: false };
  }
  return `the running spout did not apply the request within ${WAIT_MS / 1000} s (is it stuck?); it stays queued in ${dir}`;
}
