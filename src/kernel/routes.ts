import { sendJson, type HttpServer } from '../http/server.js';
import type { HealthBoard } from './health.js';
import type { EngineStatus, KernelState } from './kernel-types.js';
import type { KernelMetrics } from './metrics.js';
import type { MemoryPressure } from './memory.js';
import { memoryReason } from './memory-watch.js';

/**
 * The kernel's own routes on the shared HTTP server: `/health` (503 when an instance is
 * unhealthy or the kernel is not running; degraded under memory pressure, with the reason in
 * `memory`; the engine, its Redis and this instance's role in `engine`) and `/metrics`
 * (Prometheus text).
 */
export function mountKernelRoutes(
  http: HttpServer,
  health: HealthBoard,
  metrics: KernelMetrics,
  state: () => KernelState,
  memory: MemoryPressure,
  engine: () => EngineStatus,
): void {
  const routes = http.routes('kernel');
  routes.route('GET', '/health', (_req, res) => {
    const report = health.report();
    const now = state();
    const { level, rssBytes, limitBytes } = memory.snapshot();
    const reason = memoryReason(memory);
    // Memory pressure degrades the whole process (it never makes it unhealthy: it sheds instead).
    const status = reason && report.status === 'healthy' ? 'degraded' : report.status;
    sendJson(res, report.status === 'unhealthy' || now !== 'running' ? 503 : 200, {
      ...report,
      status,
      state: now,
      memory: { level, rssBytes, limitBytes, ...(reason ? { reason } : {}) },
      engine: engine(),
    });
  });
  routes.route('GET', '/metrics', async (_req, res) => {
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(await metrics.registry.metrics());
  });
}
