import { afterEach, describe, expect, it } from 'vitest';
import { ACCURACY_THRESHOLDS } from '../../../../plugins/jobs/accuracy/thresholds.js';
import { parseConfig } from '../../../helpers/builtins.js';
import { SECRET } from '../../../helpers/ws/server.js';
import { HEADER, serveApi } from './serve.js';

// GET /api/stats `thresholds`: those of the accuracy job running in this process, else null.

const stops: Array<() => unknown> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()?.();
});

const sections = (accuracy: string | null) =>
  [
    'inputs:',
    '  feed: { use: replay }',
    'jobs:',
    '  api: { use: api }',
    ...(accuracy === null ? [] : [`  accuracy: { use: accuracy${accuracy} }`]),
  ].join('\n');

async function api(accuracy: string | null) {
  const a = await serveApi(sections(accuracy));
  stops.push(() => a.stop());
  const thresholds = async () => {
    const r = await a.get('/api/stats');
    expect(r.status).toBe(200);
    return r.body.thresholds;
  };
  return { ...a, thresholds };
}

describe('REST API: the accuracy thresholds in /api/stats', () => {
  it('those of the running accuracy job, its defaults or as configured', async () => {
    expect(await (await api('')).thresholds()).toEqual({ warning: 0.75, critical: 0.7 });
    expect(await (await api(', warning: 0.8, critical: 0.6')).thresholds()).toEqual({
      warning: 0.8,
      critical: 0.6,
    });
  });

  it('null without an accuracy job, even when a store still holds what an earlier run recorded', async () => {
    const a = await api(null);
    expect(await a.thresholds()).toBeNull();
    // What a process that died before its accuracy job stopped leaves in a file store.
    a.store.collection(ACCURACY_THRESHOLDS).put('accuracy', { warning: 0.9, critical: 0.5, run: 'earlier' });
    expect(await a.thresholds()).toBeNull();
  });

  it('follows a reload: the new thresholds, and null once the job is removed', async () => {
    const a = await api('');
    const reload = async (accuracy: string | null) =>
      a.kernel.reload(
        await parseConfig(
          [HEADER, `auth: { secret: ${JSON.stringify(SECRET)} }`, sections(accuracy)].join('\n'),
          'test.yaml',
          process.cwd(),
          {},
        ),
      );
    expect((await reload(', warning: 0.9, critical: 0.8')).restarted).toEqual(['accuracy']);
    expect(await a.thresholds()).toEqual({ warning: 0.9, critical: 0.8 });
    expect((await reload(null)).removed).toEqual(['accuracy']);
    expect(await a.thresholds()).toBeNull();
  });
});
