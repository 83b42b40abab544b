import { sendJson, type HttpServer } from '../http/server.js';
import type { HealthBoard } from './health.js';
import type { KernelState } from './kernel-types.js';
import type { KernelMetrics } from './metrics.js';

/**
 * The kernel's own routes on the shared HTTP server: `/health` (503 when an instance is
 * unhealthy or the kernel is not running) and `/metrics` (Prometheus text).
 */
export function mountKernelRoutes(
  http: HttpServer,
  health: HealthBoard,
  metrics: KernelMetrics,
  state: () => KernelState,
): void {
  const routes = http.routes('kernel');
  routes.route('GET', '/health', (_req, res) => {
    const report = health.report();
    const now = state();
    sendJson(res, report.status === 'unhealthy' || now !== 'running' ? 503 : 200, { ...report, state: now });
  });
  routes.route('GET', '/metrics', async (_req, res) => {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  });
}
