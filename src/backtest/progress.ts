import { SingleBar } from 'cli-progress';

/** A progress display for a replay; see {@link createProgress}. */
export interface Progress {
  update(progress: { bytes: number; events: number }): void;
  /** Remove the bar (the report follows on stdout). Safe to call twice. */
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

/**
 * A progress bar on stderr over the compressed bytes read (`total` of them), with the events
 * replayed and the rate in events per second: only when stderr is a terminal (`isTTY`); otherwise
 * nothing at all, so logs and pipes stay clean. cli-progress draws it (at most 10 times a second),
 * writing through `io.err` rather than the process's stream.
 */
export function createProgress(io: { err(text: string): void }, isTTY: boolean, total: number): Progress {
  if (!isTTY) return NONE;
  // What cli-progress's terminal needs of a stream: readline's cursor moves only call write().
  const stream = {
    isTTY: true,
    columns: 80,
    write(text: string) {
      io.err(text);
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  const bar = new SingleBar({
    stream,
    format: 'replaying {bar} {percentage}% | {events} events | {rate} events/s',
    barsize: 20,
    hideCursor: false,
    clearOnComplete: true,
    fps: 10,
    // Signals are the CLI's: the bar never listens to the process.
    gracefulExit: false,
  });
  const started = performance.now();
  let stopped = false;
  bar.start(Math.max(1, total), 0, { events: '0', rate: '0' });
  return {
    update({ bytes, events }) {
      if (stopped) return;
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.min(bytes, total), {
        events: events.toLocaleString('en-US'),
        rate: seconds > 0 ? Math.round(events / seconds).toLocaleString('en-US') : '0',
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
