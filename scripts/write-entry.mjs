// The compiled tree keeps src/ and plugins/ side by side under dist/; this writes the one
// entry point the package's bin and `node dist/main.js` use. Its shebang passes the heap flags
// and environment (src/kernel/heap.ts) to node, so `spout` started as a command has its heap sized.
import { writeFileSync, chmodSync } from 'node:fs';
import { HEAP_ENV, HEAP_FLAGS } from '../dist/src/kernel/heap.js';
const entry = new URL('../dist/main.js', import.meta.url);
const env = Object.entries(HEAP_ENV).map(([k, v]) => `${k}=${v}`);
writeFileSync(
  entry,
  `#!/usr/bin/env -S ${[...env, 'node', ...HEAP_FLAGS].join(' ')}\nimport './src/main.js';\n`,
);
chmodSync(entry, 0o755);
