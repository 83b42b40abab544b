import { randomBytes } from 'node:crypto';
import { BUILTIN_PLUGINS } from '../../plugins/index.js';
import { createToken } from '../auth/tokens.js';
import { parseConfig } from '../config/load.js';
import { isSpoutError } from '../kernel/errors.js';
import { createDemoReceiver } from './demo-receiver.js';
import type { CliEnv } from './io.js';
import { runConfig } from './run.js';

// Twenty simulated seconds per real second, with whales frequent enough to show one every few
// seconds: the whole pipeline at a glance, offline. Values read from the environment are
// scrubbed from the logs: right for the signing secret, wrong for the receiver's URL (written in).
const demoConfig = (webhookUrl: string) => `
log: { level: info, format: pretty }
http: { listen: "127.0.0.1:0" }
auth: { secret: "\${SPOUT_AUTH_SECRET}" }
inputs:
  simulator: { use: simulator, seed: 21, speed: 20, whalesPerHour: 90 }
detectors:
  whales: { use: whale, thresholdBtc: 100 }
  urgency: { use: urgency }
  rbf: { use: rbf }
  flow: { use: flow, labels: builtin }
outputs:
  console: { use: console }
  live: { use: websocket }
  webhook: { use: webhook, url: ${JSON.stringify(webhookUrl)}, secret: "\${SPOUT_DEMO_WEBHOOK_SECRET}" }
jobs:
  correlation: { use: correlation }
  api: { use: api }
  dashboard: { use: dashboard }
`;

/**
 * `spout demo`: the whole pipeline offline on the built-in simulator, nothing to configure, with
 * a local receiver that verifies each webhook delivery (Standard Webhooks) and prints it.
 */
export async function demoCommand(cli: CliEnv): Promise<number> {
  // The demo's store is in memory: secrets made here only have to outlive this process.
  const secret = cli.env.SPOUT_AUTH_SECRET || randomBytes(48).toString('base64url');
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const receiver = await createDemoReceiver({
    secret: webhookSecret,
    print: (line) => cli.io.out(`${line}\n`),
  });
  try {
    const env = { ...cli.env, SPOUT_AUTH_SECRET: secret, SPOUT_DEMO_WEBHOOK_SECRET: webhookSecret };
    const config = await parseConfig(demoConfig(receiver.url), 'demo', cli.cwd, env, BUILTIN_PLUGINS);
    return await runConfig(config, cli, {
      memoryStore: true,
      banner: 'Spout demo on the simulator (Ctrl-C to stop)',
      onStarted: async (http) => {
        if (http) {
          const { token } = await createToken({
            secret,
            sub: 'demo-dashboard',
            ttlMs: 12 * 3_600_000,
            scopes: ['alerts:read', 'api:read'],
          });
          cli.io.out(`Dashboard: http://127.0.0.1:${http.port}/#token=${token}\n`);
        }
        cli.io.out(`Webhooks: verified deliveries are printed as they arrive (receiver ${receiver.url})\n`);
      },
    });
  } catch (error) {
    if (!isSpoutError(error)) throw error;
    cli.io.err(`spout demo: ${error.message}\n`);
    return error.exit;
  } finally {
    // After the kernel stopped: the webhook output's last deliveries are answered, not refused.
    await receiver.close();
  }
}
