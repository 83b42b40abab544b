import type { PluginCatalogue } from '../src/index.js';

/**
 * The built-in plugins, by kind and name. Loaded lazily: only what a config uses is imported.
 * Each lives in `plugins/<kind>s/<name>/`.
 */
export const BUILTIN_PLUGINS: PluginCatalogue = {
  input: {
    bitcoind: () => import('./inputs/bitcoind/index.js'),
    mempool: () => import('./inputs/mempool/index.js'),
    replay: () => import('./inputs/replay/index.js'),
    simulator: () => import('./inputs/simulator/index.js'),
  },
  detector: {
    whale: () => import('./detectors/whale/index.js'),
    urgency: () => import('./detectors/urgency/index.js'),
    rbf: () => import('./detectors/rbf/index.js'),
    flow: () => import('./detectors/flow/index.js'),
  },
  output: {
    console: () => import('./outputs/console/index.js'),
    webhook: () => import('./outputs/webhook/index.js'),
    websocket: () => import('./outputs/websocket/index.js'),
    email: () => import('./outputs/email/index.js'),
    telegram: () => import('./outputs/telegram/index.js'),
    discord: () => import('./outputs/discord/index.js'),
  },
  job: {
    correlation: () => import('./jobs/correlation/index.js'),
    accuracy: () => import('./jobs/accuracy/index.js'),
    retention: () => import('./jobs/retention/index.js'),
    api: () => import('./jobs/api/index.js'),
    dashboard: () => import('./jobs/dashboard/index.js'),
  },
};
