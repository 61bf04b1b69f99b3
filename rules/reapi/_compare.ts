/**
 * String order by code point, as REAPI sorts names, paths and properties
 * ("lexicographically by code point, or equivalently by UTF-8 bytes").
 *
 * JavaScript's default order compares UTF-16 code units, which differs for
 * characters above U+FFFF against those in U+E000..U+FFFF.
 *
 * @module
 */

/** Compares two strings by code point: negative, zero or positive. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return _rank(x) - _rank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (code points above U+FFFF) after U+E000..U+FFFF. */
function _rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}
