/** A reply of the fake's RPC port, read whole. */
export interface RpcAnswer {
  status: number;
  /** The body as sent (Core ends JSON with a newline; 401/204 have none). */
  text: string;
  /** The body parsed, or null when empty. */
  json: unknown;
  headers: Headers;
}

/** Where and as whom to post: a FakeCore fits. */
export interface RpcTarget {
  rpcUrl: string;
  rpcUser: string;
  rpcPassword: string;
}

/**
 * POST `body` (an object, an array for a batch, or raw text) with Basic auth (`user:password`; null for
 * none; default the fake's cookie), and read the answer whatever its status.
 */
export async function rpcPost(
  fake: RpcTarget,
  body: unknown,
  auth: string | null = `${fake.rpcUser}:${fake.rpcPassword}`,
): Promise<RpcAnswer> {
  const res = await fetch(fake.rpcUrl, {
    method: 'POST',
    headers: auth === null ? {} : { authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text ? (JSON.parse(text) as unknown) : null,
    headers: res.headers,
  };
}

/** One JSON-RPC 2.0 call: the whole reply object (`{ jsonrpc, result | error, id }`). */
export const rpcCall = async (fake: RpcTarget, method: string, params: unknown[] = []): Promise<unknown> =>
  (await rpcPost(fake, { jsonrpc: '2.0', id: 1, method, params })).json;
