import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own folder (holds config.example.yaml), from dist/src/cli or src/cli. */
export const PACKAGE_ROOT = fileURLToPath(
  new URL(import.meta.url.includes('/dist/') ? '../../../' : '../../', import.meta.url),
);

/**
 * Which configuration file to use: `--config`, else `SPOUT_CONFIG`, else `./config.yaml`, else
 * `./config.example.yaml`, else the example shipped with Spout.
 */
export function resolveConfigPath(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  if (flag) return flag;
  if (env.SPOUT_CONFIG) return env.SPOUT_CONFIG;
  for (const name of ['config.yaml', 'config.example.yaml']) if (existsSync(join(cwd, name))) return name;
  const shipped = join(PACKAGE_ROOT, 'config.example.yaml');
  return relative(cwd, shipped) || shipped;
}
