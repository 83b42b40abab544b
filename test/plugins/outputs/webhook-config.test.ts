import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../helpers/builtins.js';
import { newSecret, runWebhooks, startReceiver, type Receiver } from '../../helpers/receiver.js';

let rx: Receiver | undefined;
afterEach(async () => {
  await rx?.close();
  rx = undefined;
});
const url = async () => (rx ??= await startReceiver(newSecret())).url;
/** Boot a kernel with one webhook instance; with a bad option it must not boot. */
const run = async (options: Record<string, unknown>) => {
  const r = await runWebhooks({ hook: { url: await url(), ...options } });
  await r.stop();
  return r;
};

describe('webhook output: configuration', () => {
  const short = 'whsec_' + Buffer.alloc(8, 7).toString('base64');
  it.each([
    ['too short', short],
    ['not whsec_', 'hunter2-is-my-password'],
    ['not base64', 'whsec_' + 'A'.repeat(31) + '!'],
    ['a bad one in a list', [newSecret(), 'whsec_bm90IGxvbmcgZW5vdWdo']],
  ])('refuses a secret that is %s, without showing it', async (_what, secret) => {
    const error = await run({ secret }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOUT_CONFIG_INVALID', exit: 2, scope: { instance: 'hook' } });
    const message = (error as Error).message;
    expect(message).toMatch(/outputs\.hook\.secret(\.1)? must be a Standard Webhooks secret: "whsec_"/);
    expect(message).toContain('openssl rand -base64 32');
    for (const s of [secret].flat()) {
      expect(message).not.toContain(s);
      expect(message).not.toContain(s.replace(/^whsec_/, ''));
    }
  });

  it('refuses headers that would replace the signature headers', async () => {
    await expect(run({ secret: newSecret(), headers: { 'Webhook-Id': 'x' } })).rejects.toMatchObject({
      code: 'SPOUT_CONFIG_INVALID',
      message: /outputs\.hook\.headers\.Webhook-Id/,
    });
  });

  it('reports a wrong secret format in YAML with line and column, never the value', async () => {
    const plugin = fileURLToPath(new URL('../../../plugins/outputs/webhook/index.ts', import.meta.url));
    const yaml = [
      'outputs:',
      '  hook:',
      `    use: ${plugin}`,
      '    url: https://example.com/hook',
      '    secret: hunter2-is-my-password',
    ].join('\n');
    const error = await parseConfig(yaml, 'spout.yaml', process.cwd(), {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SPOUT_CONFIG_INVALID' });
    const message = (error as Error).message;
    expect(message).toMatch(
      /spout\.yaml:5:13 +outputs\.hook\.secret +must be a Standard Webhooks secret: "whsec_" followed by base64/,
    );
    expect(message).not.toContain('hunter2');
  });
});
