import { parseJsonObject, type JsonObject } from '../control/channel.js';
import type { TokenRecord } from '../store/records.js';

/**
 * While `spout run` owns the store, `spout token create|revoke` leave their changes as request
 * files in this folder beside the store; the running process applies them (and closes revoked
 * connections) at once. A folder of its own: only a process with a websocket output or the API
 * applies token requests (see {@link tokenConsumerFile}), and requests left while none runs wait
 * for one. Written, read, answered and cleaned up as every request folder is (src/control/).
 */
export const tokenRequestsDir = (storePath: string): string => `${storePath}.token-requests`;

/** Holds the pid of the process applying token requests (one with a websocket output or the API). */
export const tokenConsumerFile = (storePath: string): string => `${tokenRequestsDir(storePath)}/consumer.pid`;

/**
 * A change to the token registry, as left in {@link tokenRequestsDir}. A revoke request with
 * `force: false` is refused when the jti was never recorded (answer `refused`); with `force: true`
 * the jti is revoked all the same (a token issued elsewhere with the same secret). Files written
 * before the flag existed have none and keep their meaning: revoked all the same, so
 * {@link parseTokenRequest} reads a missing flag as `true`.
 */
export type TokenRequest =
  | { type: 'token.issued'; record: TokenRecord }
  | { type: 'token.revoke'; jti: string; at: string; force: boolean };

/** What the running process writes back (`<request>.done`). */
export interface TokenRequestResult {
  /** revoke: the jti was recorded; already: it was revoked before. */
  known?: boolean;
  already?: boolean;
  /** revoke without `force` of a jti never recorded: nothing was changed. */
  refused?: boolean;
  /** revoke: open connections closed because of it. */
  closed?: number;
  /** `engine: redis`: how many running instances were told (each closes its own connections). */
  instances?: number;
  error?: string;
}

/** A {@link TokenRequest} from a request file's object, or null when it is not one. */
export function tokenRequestOf(r: JsonObject): TokenRequest | null {
  if (
    r.type === 'token.revoke' &&
    typeof r.jti === 'string' &&
    typeof r.at === 'string' &&
    (r.force === undefined || typeof r.force === 'boolean')
  )
    return { type: 'token.revoke', jti: r.jti, at: r.at, force: r.force !== false };
  if (
    r.type === 'token.issued' &&
    typeof r.record === 'object' &&
    r.record !== null &&
    typeof (r.record as TokenRecord).jti === 'string'
  )
    return { type: 'token.issued', record: r.record as TokenRecord };
  return null;
}

/** A {@link TokenRequest} from a request file's text, or null when it is not one. */
export function parseTokenRequest(text: string): TokenRequest | null {
  const r = parseJsonObject(text);
  return r && tokenRequestOf(r);
}
