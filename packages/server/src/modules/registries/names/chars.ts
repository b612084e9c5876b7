/**
 * Character level: folds every code point of a name to either a lower-case
 * ASCII letter, a canonical Urdu letter, an apostrophe (Roman ain/hamza
 * marker), nothing (combining marks, tatweel, joiners) or a separator, and
 * scans the result into raw tokens of one script each. See index.ts for the
 * whole algorithm.
 */

export type Script = 'latin' | 'arabic';

export interface RawToken {
  /** The token as written (NFC), without the separators around it. */
  text: string;
  /** Folded letters: a-z and ' for Latin, canonical Urdu letters (and ٰ) for Arabic script. */
  folded: string;
  script: Script;
}

/** Work bounds: a name never needs more. */
export const MAX_INPUT_CHARS = 512;
export const MAX_RAW_TOKENS = 24;
export const MAX_TOKEN_CHARS = 40;
/** Longest token text kept for display. */
const MAX_TEXT_CHARS = 64;

/** The letters the Urdu analyser knows, after folding (plus the dagger alif U+0670). */
export const URDU_LETTERS = new Set([...'ابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھءیےٰ']);
export const DAGGER_ALIF = '\u0670';

/** Arabic, Persian, Sindhi and Pashto letters folded to the Urdu letter read the same way. */
const ARABIC_FOLD: Record<string, string> = {
  // yeh forms (Arabic ي, alif maqsura ى, Pashto ې ۍ)
  ي: 'ی',
  ى: 'ی',
  ې: 'ی',
  ۍ: 'ی',
  ێ: 'ی',
  ۓ: 'ے',
  // kaf forms
  ك: 'ک',
  ڪ: 'ک',
  // heh forms: Arabic heh, ae, teh marbuta (all forms) read as Urdu gol heh
  ه: 'ہ',
  ە: 'ہ',
  ة: 'ہ',
  ۃ: 'ہ',
  // alif forms (hamza and madda are split off by NFKD; these have none)
  ٱ: 'ا',
  ٲ: 'ا',
  ٳ: 'ا',
  // waw forms
  ۄ: 'و',
  ۆ: 'و',
  ۇ: 'و',
  ۈ: 'و',
  ۋ: 'و',
  // Sindhi
  ٻ: 'ب',
  ڀ: 'ب',
  ٺ: 'ت',
  ٽ: 'ٹ',
  ٿ: 'ت',
  ڄ: 'ج',
  ڃ: 'ج',
  ڇ: 'چ',
  ڊ: 'ڈ',
  ڌ: 'د',
  ڍ: 'ڈ',
  ڏ: 'ڈ',
  ڙ: 'ڑ',
  ڦ: 'پ',
  ڳ: 'گ',
  ڱ: 'ن',
  ڻ: 'ن',
  // Pashto
  ډ: 'ڈ',
  ړ: 'ڑ',
  ږ: 'ژ',
  ښ: 'ش',
  ګ: 'گ',
  ڼ: 'ن',
  ځ: 'ز',
  څ: 'س',
};

/** Latin letters that NFKD does not decompose. */
const LATIN_SPECIAL: Record<string, string> = { æ: 'ae', ø: 'o', ß: 'ss', đ: 'd', ł: 'l', ı: 'i', œ: 'oe', þ: 'th', ð: 'd', ħ: 'h' };

/** Characters written for the Arabic ain or hamza in Roman spellings (Sa'eed, Ma‘ruf, ʿAli). */
const APOSTROPHES = new Set(['\u2019', '\u2018', '\u02bc', '\u02bb', '\u02bf', '\u02be', '\u00b4', '\u0060', '\u2032']);

/** Code points that are invisible inside a word: removed, the word stays whole. */
function ignorable(cp: number): boolean {
  return (
    cp === 0x200d || // zero width joiner
    cp === 0x00ad || // soft hyphen
    cp === 0xfeff || // BOM / zero width no-break space
    cp === 0x0640 || // tatweel (kashida)
    cp === 0x2060 ||
    (cp >= 0x200e && cp <= 0x200f) || // LRM, RLM
    (cp >= 0x202a && cp <= 0x202e) || // bidi embeddings
    (cp >= 0x2066 && cp <= 0x2069) // bidi isolates
  );
}

function isArabicMark(cp: number): boolean {
  return (
    (cp >= 0x0610 && cp <= 0x061a) ||
    (cp >= 0x064b && cp <= 0x065f) || // harakat, shadda, sukun, hamza above/below
    (cp >= 0x06d6 && cp <= 0x06ed) || // Quranic annotation marks
    (cp >= 0x08d3 && cp <= 0x08ff) ||
    cp === 0x0674
  );
}

/** The fold of one non-ASCII code point: '' (nothing), ' ' (separator), "'", Latin letters or Urdu letters. */
function foldSlow(cp: number): string {
  if (ignorable(cp)) return '';
  if (cp === 0x200c || cp === 0x200b) return ' '; // ZWNJ and ZWSP separate the parts of a name
  if (APOSTROPHES.has(String.fromCodePoint(cp))) return "'";
  // Long Arabic honorific ligatures (salawat, jalla jalaluhu, bismillah) are not names.
  if (cp === 0xfdfa || cp === 0xfdfb || cp === 0xfdfd) return ' ';
  const ch = String.fromCodePoint(cp);
  const lower = ch.toLowerCase();
  if (LATIN_SPECIAL[lower] !== undefined) return LATIN_SPECIAL[lower];
  let out = '';
  for (const d of ch.normalize('NFKD')) {
    const dc = d.codePointAt(0) ?? 0;
    if (dc === 0x0670) {
      out += DAGGER_ALIF;
      continue;
    }
    if (isArabicMark(dc) || ignorable(dc) || /\p{M}/u.test(d)) continue;
    if (dc < 128) {
      const l = d.toLowerCase();
      if (l >= 'a' && l <= 'z') out += l;
      else if (l === "'") out += "'";
      else if (l === ' ' && out !== '') out += ' ';
      else if (out === '') return ' ';
      continue;
    }
    const u = ARABIC_FOLD[d] ?? d;
    if (URDU_LETTERS.has(u)) out += u;
    else if (LATIN_SPECIAL[d.toLowerCase()] !== undefined) out += LATIN_SPECIAL[d.toLowerCase()];
    else return out === '' && !/\p{M}/u.test(d) ? ' ' : out;
  }
  return out;
}

/** Folds of U+0080..U+06FF (Latin-1, Latin Extended, Arabic), precomputed; a Map for the rest. */
const TABLE_END = 0x0700;
const table: string[] = [];
for (let cp = 0; cp < TABLE_END; cp++) table.push(cp < 128 ? '' : foldSlow(cp));
const cache = new Map<number, string>();
function fold(cp: number): string {
  if (cp < TABLE_END) return table[cp];
  let f = cache.get(cp);
  if (f === undefined) {
    f = foldSlow(cp);
    if (cache.size < 4096) cache.set(cp, f);
  }
  return f;
}

const ASCII_FOLD: string[] = [];
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (ch >= 'a' && ch <= 'z') ASCII_FOLD.push(ch);
  else if (ch >= 'A' && ch <= 'Z') ASCII_FOLD.push(ch.toLowerCase());
  else if (ch === "'" || ch === '`') ASCII_FOLD.push("'");
  else ASCII_FOLD.push(' ');
}

function scriptOf(ch: string): Script {
  const c = ch.charCodeAt(0);
  return c < 128 ? 'latin' : 'arabic';
}

/**
 * Splits a name into raw tokens: runs of letters of one script. Separators are
 * spaces, punctuation (. - / , ...), digits of any script, symbols, emoji,
 * control characters and ZWNJ; an apostrophe stays inside a Roman token.
 * Bounded: reads at most MAX_INPUT_CHARS characters and keeps MAX_RAW_TOKENS.
 */
export function scan(input: string): RawToken[] {
  if (typeof input !== 'string' || input.length === 0) return [];
  let s = input.length > MAX_INPUT_CHARS ? input.slice(0, MAX_INPUT_CHARS) : input;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) {
      ascii = false;
      break;
    }
  }
  if (ascii) return scanAscii(s);
  s = s.normalize('NFC');
  const out: RawToken[] = [];
  let folded = '';
  let script: Script | null = null;
  let start = 0;
  let end = 0;
  const flush = (): void => {
    if (script !== null) {
      let f = folded;
      while (f.endsWith("'")) f = f.slice(0, -1);
      if (f.length > MAX_TOKEN_CHARS) f = f.slice(0, MAX_TOKEN_CHARS);
      if (f !== '' && f !== DAGGER_ALIF) out.push({ text: s.slice(start, Math.min(end, start + MAX_TEXT_CHARS)), folded: f, script });
    }
    script = null;
    folded = '';
  };
  for (let i = 0; i < s.length && out.length < MAX_RAW_TOKENS;) {
    const cp = s.codePointAt(i) ?? 0;
    const w = cp > 0xffff ? 2 : 1;
    const f = cp < 128 ? ASCII_FOLD[cp] : fold(cp);
    if (f === '') {
      if (script !== null) end = i + w;
    } else if (f === ' ') {
      flush();
    } else if (f === "'") {
      // inside a Roman word only: an ain/hamza marker, kept as a digraph breaker
      if (script === 'latin') {
        folded += "'";
        end = i + w;
      }
    } else if (f === DAGGER_ALIF) {
      if (script === 'arabic') {
        folded += f;
        end = i + w;
      }
    } else {
      // one code point may fold to letters of one script only (æ -> ae, ﻻ -> لا)
      const fs = scriptOf(f);
      if (script !== null && fs !== script) flush();
      if (script === null) {
        script = fs;
        start = i;
      }
      folded += f.indexOf(' ') >= 0 ? f.replace(/ /g, '') : f;
      end = i + w;
    }
    i += w;
  }
  if (out.length < MAX_RAW_TOKENS) flush();
  return out;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

/** scan() for pure ASCII input (the common case of a Roman name): same result, no per-character folding. */
function scanAscii(s: string): RawToken[] {
  const out: RawToken[] = [];
  const n = s.length;
  let i = 0;
  while (i < n && out.length < MAX_RAW_TOKENS) {
    while (i < n && !isAsciiLetter(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let end = i;
    let quote = false;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (isAsciiLetter(c)) end = i + 1;
      else if (c === 39 || c === 96) quote = true;
      else break;
      i++;
    }
    const text = s.slice(start, Math.min(end, start + MAX_TEXT_CHARS));
    let f = (end - start > MAX_TOKEN_CHARS ? s.slice(start, start + MAX_TOKEN_CHARS) : text).toLowerCase();
    if (quote) f = f.replace(/`/g, "'");
    if (f.length > MAX_TOKEN_CHARS) f = f.slice(0, MAX_TOKEN_CHARS);
    out.push({ text, folded: f, script: 'latin' });
  }
  return out;
}
