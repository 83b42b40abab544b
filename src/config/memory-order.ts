const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `kernel.memory`'s shares must rise: recoverAt < warningAt < criticalAt (else levels could not settle). */
export function memoryOrderProblem(data: Record<string, unknown>): string | null {
  const kernel = isObject(data.kernel) ? data.kernel : {};
  const m = isObject(kernel.memory) ? kernel.memory : {};
  const { recoverAt, warningAt, criticalAt } = m;
  if (typeof recoverAt !== 'number' || typeof warningAt !== 'number' || typeof criticalAt !== 'number')
    return null;
  if (recoverAt < warningAt && warningAt < criticalAt) return null;
  return `recoverAt (${recoverAt}) < warningAt (${warningAt}) < criticalAt (${criticalAt}) must hold: the level rises at warningAt and criticalAt and falls back below recoverAt; e.g. { recoverAt: 0.7, warningAt: 0.8, criticalAt: 0.9 }`;
}
