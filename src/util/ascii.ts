/**
 * ASCII character classes by char code, for the checks on the token path that replace regular
 * expressions (V8 compiles each pattern the first time it runs, on every kubectl call).
 */

export function isAsciiDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** A C0 control character or DEL: what an HTTP header value or a URL cannot carry. */
function isAsciiControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** True when text holds a control character (a regular expression's /[\x00-\x1f\x7f]/). */
export function hasAsciiControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (isAsciiControl(text.charCodeAt(i))) return true;
  }
  return false;
}

/** 0-9 and a-f. */
export function isLowerHexDigit(c: number): boolean {
  return isAsciiDigit(c) || (c >= 0x61 && c <= 0x66);
}

/** One or more ASCII digits (a regular expression's \d+). */
export function isDigits(text: string): boolean {
  if (text === '') return false;
  for (let i = 0; i < text.length; i++) {
    if (!isAsciiDigit(text.charCodeAt(i))) return false;
  }
  return true;
}
