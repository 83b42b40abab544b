/*
 * The channel from CLI commands to a running process: a request folder beside the store
 * (`<store>.requests/` for `spout deliveries retry` and `spout backup`, `<store>.token-requests/`
 * for `spout token create|revoke`; docs/operations.md describes both).
 *
 * A command (writer.ts) writes `<time>-<pid>-<random>.json.tmp` and renames it to `….json`, so
 * the running process (reader.ts), which only takes `*.json`, never sees half a request. Each
 * request is one JSON object whose `type` names what to do. The process answers with
 * `….json.done` (written aside and renamed too) and then removes the request; the command reads
 * the answer and removes it. Answers no command came for, and temporary files a killed command
 * left, are removed once they have stood unchanged for {@link REQUEST_STALE_MS}.
 */

/** A request or an answer as it is in its file. */
export type JsonObject = Record<string, unknown>;

/**
 * How long a request file that is not a valid request is left alone, counted from its last
 * change: a writer that does not rename (a script, an older spout) may still be writing it in
 * place. After that it is answered with an error.
 */
export const REQUEST_GRACE_MS = 5_000;
/** How long an answer (`.done`) or a temporary file (`.tmp`) is kept unchanged (commands wait 10 s). */
export const REQUEST_STALE_MS = 60_000;

/** The file the answer to request file `file` is written to. */
export const answerFile = (file: string): string => `${file}.done`;

/** The requests among a folder's entry `names` waiting to be applied, in the order to apply them. */
export const requestNames = (names: string[]): string[] => names.filter((n) => n.endsWith('.json')).sort();

/** Whether entry `name` is an answer or a temporary file: swept once it is stale. */
export const isLeftover = (name: string): boolean => name.endsWith('.done') || name.endsWith('.tmp');

/** A request file's text as a JSON object, or null when it is not one (torn, or not an object). */
export function parseJsonObject(text: string): JsonObject | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}
