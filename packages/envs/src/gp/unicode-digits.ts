/**
 * Unicode decimal digits (category Nd) exactly as CPython 3.11 sees them (Unicode 14.0.0).
 *
 * The reference verifier tokenises with Python's `\d`, which matches every Nd character, and
 * converts runs with `int()`, which accepts them too (docs/gp-rules.md#reference-behaviours: full-width `１０` is a
 * digit run worth 10). JS `\p{Nd}` follows Node's newer Unicode tables (it adds e.g. Kawi and Nag
 * Mundari digits), so the table is pinned here instead. Every Nd block is ten consecutive code
 * points 0..9; listed by the code point of its zero. Generated with CPython 3.11's
 * `str.isdecimal` over all code points.
 */
const ZEROS: readonly number[] = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090,
  0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
  0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
  0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/** Number of Nd blocks in the table (66 for Unicode 14.0). */
export const ND_BLOCKS = ZEROS.length;

/** Decimal value of code point `cp` if it is an Nd digit, else -1. */
export function digitValue(cp: number): number {
  if (cp < 0x80) return cp >= 0x30 && cp <= 0x39 ? cp - 0x30 : -1;
  if (cp < 0x660) return -1;
  let lo = 0;
  let hi = ZEROS.length - 1;
  while (lo < hi) {
    // Largest zero <= cp.
    const mid = (lo + hi + 1) >> 1;
    if (ZEROS[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  const d = cp - ZEROS[lo]!;
  return d >= 0 && d < 10 ? d : -1;
}
