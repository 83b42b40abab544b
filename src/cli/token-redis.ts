import { pino } from 'pino';
import { createTokenRegistry } from '../auth/registry.js';
import type { TokenRequest, TokenRequestResult } from '../auth/requests.js';
import type { SpoutConfig } from '../config/types.js';
import { connectRedis } from '../engine/connect.js';
import { publishTokenRequest } from '../engine/token-channel.js';
import { createMemoryStore } from '../store/memory.js';
import { putDocument, readCollection } from '../store/redis.js';
import { COLLECTIONS, type TokenRecord } from '../store/records.js';

/** What `spout token` does to the registry: the file store's or the deployment's. */
export interface TokenOps {
  list(): Promise<TokenRecord[]>;
  submit(
    request: TokenRequest,
  ): Promise<{ result: TokenRequestResult; running: boolean; queued: boolean } | string>;
  close(): Promise<void>;
}

/**
 * `spout token` with `engine: redis`: the change is written to the deployment's store in Redis
 * and published to every running instance, which applies it at once (a revocation closes that
 * token's connections everywhere). A revoke without `--force` is refused for a jti the
 * deployment never issued. Errors: `SPOUT_ENGINE_UNREACHABLE` when Redis does not answer.
 */
export async function openRedisTokens(config: SpoutConfig): Promise<TokenOps> {
  const { deployment } = config.engine;
  const redis = await connectRedis(config.engine.url, pino({ level: 'silent' }));
  const read = () => readCollection<TokenRecord>(redis, deployment, COLLECTIONS.tokens);
  return {
    async list() {
      return [...(await read()).values()].sort((a, b) =>
        (a.issuedAt ?? a.revokedAt ?? '').localeCompare(b.issuedAt ?? b.revokedAt ?? ''),
      );
    },
    async submit(request) {
      // The registry's rules on a copy of the collection: what changes is written back, one record.
      const store = createMemoryStore(new Map([[COLLECTIONS.tokens, await read()]]));
      const registry = createTokenRegistry(store);
      const id = request.type === 'token.issued' ? request.record.jti : request.jti;
      let result: TokenRequestResult = {};
      if (request.type === 'token.issued') registry.record(request.record);
      else {
        if (!request.force && !registry.has(id))
          return { result: { known: false, already: false, refused: true }, running: true, queued: false };
        result = registry.revoke(id, new Date(request.at));
      }
      await putDocument(
        redis,
        deployment,
        COLLECTIONS.tokens,
        id,
        store.collection(COLLECTIONS.tokens).get(id),
      );
      // Checked here against the deployment's registry: the instances apply it as it is.
      const told = await publishTokenRequest(
        redis,
        deployment,
        request.type === 'token.revoke' ? { ...request, force: true } : request,
      );
      return { result: { ...result, instances: told }, running: true, queued: false };
    },
    close: () => redis.quit().then(() => {}),
  };
}
