import { Type, type SchemaOptions, type TString, type TUnsafe } from '@sinclair/typebox';

/**
 * A string that must be one of `values`, as a plain JSON Schema `enum` (one clear error message
 * instead of one per alternative).
 */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A secret string option: masked in `spout check` and scrubbed from logs and errors. */
export function Secret(options: SchemaOptions = {}): TString {
  return Type.String({ ...options, secret: true });
}

/** A duration such as `5s`, `15m`, `1h`, `7d` (parse it with `parseDuration`). */
export function Duration(options: SchemaOptions = {}): TString {
  return Type.String({ ...options, format: 'duration' });
}

/** A cron expression (5 or 6 fields, node-cron syntax). */
export function Cron(options: SchemaOptions = {}): TString {
  return Type.String({ ...options, format: 'cron' });
}
