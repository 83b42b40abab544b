import { runCli } from './cli/index.js';

// The one place that touches the process: environment, arguments, signals and exit.
let stopping = false;
const code = await runCli({
  argv: process.argv.slice(2),
  env: { ...process.env },
  cwd: process.cwd(),
  isTTY: Boolean(process.stderr.isTTY),
  io: {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
  },
  onSignal(signal, handler) {
    process.on(signal, () => {
      if (signal !== 'SIGHUP' && stopping) {
        process.stderr.write(`second ${signal}: exiting now\n`);
        process.exit(1);
      }
      if (signal !== 'SIGHUP') stopping = true;
      handler();
    });
  },
});
// Exit explicitly: an instance cut off at its stop timeout may still hold timers or sockets.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
