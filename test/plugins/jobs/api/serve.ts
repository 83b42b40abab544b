import { createMemoryStore } from '../../../../src/store/memory.js';
import { startSpout } from '../../../helpers/ws/server.js';

/** The header `startSpout` puts before a test's sections (for building a config to reload to). */
export const HEADER = 'http: { listen: "127.0.0.1:0" }\nlog: { level: debug, format: json }';

/**
 * A kernel running `sections` (YAML) on 127.0.0.1 with a memory store, and `get(path, token)`
 * asking its REST API (with a fresh `api:read` token unless one is given; null: none). Stop it
 * with `stop()`.
 */
export async function serveApi(sections: string) {
  const store = createMemoryStore();
  const s = await startSpout(sections, { store });
  const token = await s.token({ scopes: ['api:read'] });
  const get = async (path: string, auth: string | null = token) => {
    const res = await fetch(`${s.base}${path}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { ...s, store, get };
}
