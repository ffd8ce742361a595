/**
 * Step 1 of the verifier (docs/gp-rules.md#verifier, docs/gp-rules.md#reference-behaviours): find the formula in a response the way the
 * reference's `re_match(text, "formula")` does:
 *
 *   try:    pred = json.loads(text)["formula"]
 *   except: pred = re.search(r'"formula": "(.*?)"', text).group(1)   (or the string "None")
 *
 * `json.loads` is re-implemented for acceptance only (CPython 3.11's C scanner, strict mode):
 * NaN / Infinity / -Infinity are accepted, raw control characters inside strings are not, a
 * leading BOM is rejected, integers of more than 4,300 digits fail (int max-str-digits), and
 * nesting deeper than MAX_DEPTH fails (RecursionError; the exact depth depends on the caller's
 * Python stack, 995 is what a top-level call gets). Only the top-level object's `formula` member
 * is decoded (the last duplicate wins, like a Python dict).
 */

export type Extracted =
  | { readonly kind: "string"; readonly formula: string }
  /** Whole-JSON response whose `formula` is not a string: the reference crashes on it. */
  | { readonly kind: "not-string" }
  /** Neither route found a formula: the reference scores the literal string "None". */
  | { readonly kind: "missing" };

const MAX_DEPTH = 995;
const INT_MAX_DIGITS = 4300;

class JsonFail extends Error {}
const FAIL = new JsonFail("json");

/** Minimal validating parser; `fail()` throws a shared sentinel, caught in `parseTop`. */
class Scanner {
  pos = 0;
  depth = 0;
  /** Set when a string just scanned contained an escape. */
  sawEscape = false;
  constructor(readonly s: string) {}

  fail(): never {
    throw FAIL;
  }

  ws(): void {
    const s = this.s;
    let p = this.pos;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  /** Parses a string starting at the opening quote; returns it decoded when `decode`. */
  string(decode: boolean): string {
    const s = this.s;
    let p = this.pos + 1;
    let out = "";
    let chunk = p;
    for (;;) {
      if (p >= s.length) this.fail();
      const c = s.charCodeAt(p);
      if (c === 0x22) break;
      if (c < 0x20) this.fail();
      if (c !== 0x5c) {
        p++;
        continue;
      }
      this.sawEscape = true;
      if (decode) out += s.slice(chunk, p);
      const e = s.charCodeAt(p + 1);
      let ch = "";
      switch (e) {
        case 0x22:
          ch = '"';
          break;
        case 0x5c:
          ch = "\\";
          break;
        case 0x2f:
          ch = "/";
          break;
        case 0x62:
          ch = "\b";
          break;
        case 0x66:
          ch = "\f";
          break;
        case 0x6e:
          ch = "\n";
          break;
        case 0x72:
          ch = "\r";
          break;
        case 0x74:
          ch = "\t";
          break;
        case 0x75: {
          let v = 0;
          for (let k = 2; k < 6; k++) {
            const h = s.charCodeAt(p + k);
            const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : (h | 0x20) >= 0x61 && (h | 0x20) <= 0x66 ? (h | 0x20) - 0x57 : -1;
            if (d < 0) this.fail();
            v = v * 16 + d;
          }
          // UTF-16 units: a \uD83D\uDE00 pair combines by itself, a lone surrogate stays lone,
          // exactly as CPython builds the str.
          ch = String.fromCharCode(v);
          p += 4;
          break;
        }
        default:
          this.fail();
      }
      if (decode) out += ch;
      p += 2;
      chunk = p;
    }
    this.pos = p + 1;
    return decode ? out + s.slice(chunk, p) : "";
  }

  /** A top-level key, decoded only when it could be an escaped spelling of "formula". */
  topKey(): string {
    const at = this.pos;
    if (this.s.startsWith('formula"', at + 1)) {
      this.pos = at + 9;
      return "formula";
    }
    this.sawEscape = false;
    this.string(false);
    if (!this.sawEscape) return "";
    this.pos = at;
    return this.string(true);
  }

  literal(word: string): void {
    if (!this.s.startsWith(word, this.pos)) this.fail();
    this.pos += word.length;
  }

  number(): void {
    const s = this.s;
    let p = this.pos;
    if (s.charCodeAt(p) === 0x2d) {
      if (s.startsWith("Infinity", p + 1)) {
        this.pos = p + 9;
        return;
      }
      p++;
    }
    const intStart = p;
    let c = s.charCodeAt(p);
    if (c === 0x30) p++;
    else if (c >= 0x31 && c <= 0x39) {
      while ((c = s.charCodeAt(p)) >= 0x30 && c <= 0x39) p++;
    } else this.fail();
    let isFloat = false;
    if (s.charCodeAt(p) === 0x2e && isDigit(s.charCodeAt(p + 1))) {
      isFloat = true;
      p += 2;
      while (isDigit(s.charCodeAt(p))) p++;
    }
    c = s.charCodeAt(p);
    if (c === 0x65 || c === 0x45) {
      let q = p + 1;
      const sign = s.charCodeAt(q);
      if (sign === 0x2b || sign === 0x2d) q++;
      if (isDigit(s.charCodeAt(q))) {
        isFloat = true;
        p = q + 1;
        while (isDigit(s.charCodeAt(p))) p++;
      }
    }
    // int(str) refuses more than 4,300 digits (CPython 3.11 default); float() has no limit.
    if (!isFloat && p - intStart > INT_MAX_DIGITS) this.fail();
    this.pos = p;
  }

  /** Any JSON value, validated and skipped. */
  value(): void {
    const c = this.s.charCodeAt(this.pos);
    switch (c) {
      case 0x22:
        this.string(false);
        return;
      case 0x7b:
        this.object(false);
        return;
      case 0x5b:
        this.array();
        return;
      case 0x6e:
        this.literal("null");
        return;
      case 0x74:
        this.literal("true");
        return;
      case 0x66:
        this.literal("false");
        return;
      case 0x4e:
        this.literal("NaN");
        return;
      case 0x49:
        this.literal("Infinity");
        return;
      default:
        this.number();
    }
  }

  enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail();
  }

  array(): void {
    this.enter();
    this.pos++;
    this.ws();
    if (this.s.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.value();
      this.ws();
      const c = this.s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) break;
      if (c !== 0x2c) this.fail();
      this.ws();
    }
    this.depth--;
  }

  /**
   * An object. At the top level (`top`), returns what its last `formula` member held:
   * a decoded string, NOT_STRING, or null when there is none.
   */
  object(top: boolean): string | typeof NOT_STRING | null {
    this.enter();
    const s = this.s;
    let formula: string | typeof NOT_STRING | null = null;
    this.pos++;
    this.ws();
    if (s.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      this.depth--;
      return null;
    }
    for (;;) {
      if (s.charCodeAt(this.pos) !== 0x22) this.fail();
      const key = top ? this.topKey() : this.string(false);
      this.ws();
      if (s.charCodeAt(this.pos) !== 0x3a) this.fail();
      this.pos++;
      this.ws();
      if (top && key === "formula") {
        if (s.charCodeAt(this.pos) === 0x22) formula = this.string(true);
        else {
          this.value();
          formula = NOT_STRING;
        }
      } else this.value();
      this.ws();
      const c = s.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) break;
      if (c !== 0x2c) this.fail();
      this.ws();
    }
    this.depth--;
    return formula;
  }
}

const NOT_STRING = Symbol("not-string");

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * `json.loads(text)["formula"]`: the string, NOT_STRING when the member exists with another type,
 * or undefined when the parse fails or the document is not an object with that key.
 */
function fromWholeJson(text: string): string | typeof NOT_STRING | undefined {
  const sc = new Scanner(text);
  sc.ws();
  // Cheap exits first: most responses that are not JSON objects fail on their first character.
  const first = text.charCodeAt(sc.pos);
  try {
    if (first === 0x7b) {
      const formula = sc.object(true);
      sc.ws();
      if (sc.pos !== text.length) return undefined;
      return formula ?? undefined;
    }
    // A BOM, or any non-object document: json.loads fails or gives a non-dict; either way the
    // reference falls through to the regex.
    return undefined;
  } catch (e) {
    if (e === FAIL) return undefined;
    throw e;
  }
}

const NEEDLE = '"formula": "';

/** `re.search(r'"formula": "(.*?)"', text)`: `.` stops at '\n' only; leftmost match wins. */
export function regexFormula(text: string): string | null {
  let from = 0;
  for (;;) {
    const i = text.indexOf(NEEDLE, from);
    if (i < 0) return null;
    const start = i + NEEDLE.length;
    const q = text.indexOf('"', start);
    if (q < 0) return null;
    const nl = text.indexOf("\n", start);
    if (nl < 0 || nl > q) return text.slice(start, q);
    from = i + 1;
  }
}

/** Step 1 of the verifier. */
export function extractFormula(text: string): Extracted {
  const whole = fromWholeJson(text);
  if (typeof whole === "string") return { kind: "string", formula: whole };
  if (whole === NOT_STRING) return { kind: "not-string" };
  const found = regexFormula(text);
  return found === null ? { kind: "missing" } : { kind: "string", formula: found };
}
