import { MAX_ADDRESS } from './limits.js';

// Character classes by char code (ASCII only), for the ids and addresses read in the hot path: a
// table walk over each string is about twice as fast as a regular expression on fresh JSON strings.
const HEX_LOWER = 1;
const HEX_UPPER = 2;
const ALNUM = 4;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] =
    (/[0-9a-f]/.test(ch) ? HEX_LOWER : 0) |
    (/[A-F]/.test(ch) ? HEX_UPPER : 0) |
    (/[0-9A-Za-z]/.test(ch) ? ALNUM : 0);
}

/** 0: not 64 hex digits; 1: 64 lower-case hex digits; 2: 64 hex digits, some upper-case. */
export function hex64(s: string): 0 | 1 | 2 {
  if (s.length !== 64) return 0;
  let upper = false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    const k = c < 128 ? (CLASS[c] as number) : 0;
    if (k & HEX_LOWER) continue;
    if (!(k & HEX_UPPER)) return 0;
    upper = true;
  }
  return upper ? 2 : 1;
}

/** 1 … MAX_ADDRESS ASCII letters and digits. */
export function isAddressText(s: string): boolean {
  const n = s.length;
  if (n < 1 || n > MAX_ADDRESS) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !((CLASS[c] as number) & ALNUM)) return false;
  }
  return true;
}
