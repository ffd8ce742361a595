/**
 * Python `str` semantics the reference's parsers rely on, reproduced for JS strings.
 *
 * Python's `\s` (str patterns) and `str.strip()` use Py_UNICODE_ISSPACE, which differs from JS's
 * `\s`/`trim()`: it includes U+001C–U+001F and U+0085 and excludes U+FEFF. Python's `.` without
 * DOTALL excludes only `\n` (JS's also excludes `\r`, U+2028, U+2029).
 */

/** Character class body equal to Python's `\s` for str patterns. */
export const PY_WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

export function isPySpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isPySpace(s.charCodeAt(a))) a++;
  while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Python `s.count(sub)` for a non-empty `sub`. */
export function pyCount(s: string, sub: string): number {
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Escape for a JS `u`-flag regex (only syntax characters may be escaped there). */
export function reEscape(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}
