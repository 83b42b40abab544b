// The compiled tree keeps src/ and plugins/ side by side under dist/; this writes the one
// entry point the package's bin and `node dist/main.js` use.
import { writeFileSync, chmodSync } from 'node:fs';
const entry = new URL('../dist/main.js', import.meta.url);
writeFileSync(entry, "#!/usr/bin/env node\nimport './src/main.js';\n");
chmodSync(entry, 0o755);
