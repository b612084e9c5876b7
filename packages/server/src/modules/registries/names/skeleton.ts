/**
 * The phonetic skeleton of one folded token, for Roman and for Urdu spelling:
 * consonant classes in order, and the vowel material written between them
 * ("slots"). The key is built from the skeleton only with what both scripts
 * write reliably; the slots are kept for compareNames. See index.ts.
 */

export interface Skeleton {
  /** Consonant class codes, one char each (see CONSONANT CODES in index.ts). */
  cons: string;
  /** cons.length + 1 vowel slots: [before the 1st consonant, between 1st and 2nd, ..., after the last]. */
  slots: string[];
  /** '' | 'A' | 'I' | 'U' | 'Y': class of the written final vowel. */
  final: string;
  key: string;
}

function build(cons: string, slots: string[], final: string): Skeleton {
  const initial = slots[0] !== '' ? 'A' : '';
  return { cons, slots, final, key: initial + cons + final };
}

// ---------------------------------------------------------------- Roman

const ROMAN_SINGLE: Record<string, string> = {
  b: 'b',
  d: 'd',
  f: 'f',
  g: 'g',
  j: 'j',
  k: 'k',
  l: 'l',
  m: 'm',
  n: 'n',
  p: 'p',
  q: 'k',
  r: 'r',
  s: 's',
  t: 't',
  z: 'z',
};
/**
 * consonant + h digraphs: sh = ش, kh = خ or کھ, gh = غ or گھ, ch = چ or چھ, ph = ف.
 * Every other consonant + h is two consonants: th dh bh jh are the aspirates
 * تھ دھ بھ جھ (Urdu writes the h: ھ) and zh th are ظہ طہ in Mazhar, Athar.
 */
const ROMAN_H_DIGRAPH: Record<string, string> = { s: 'x', k: 'k', g: 'g', c: 'c', p: 'f' };

function isRomanVowel(c: string): boolean {
  return c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u';
}

/** Class of the final vowel run of a Roman token (slot after the last consonant). */
export function romanFinalClass(run: string): string {
  if (run === '') return '';
  let r = run;
  const hadH = r.endsWith('h');
  if (hadH) r = r.slice(0, -1);
  if (r === '') return '';
  if (r === 'e') return hadH ? 'A' : ''; // Fateh, Saleh (ح) / silent English e
  const last = r[r.length - 1];
  if (last === 'a') {
    let p = r.length - 1;
    while (p > 0 && r[p - 1] === 'a') p--;
    const before = p > 0 ? r[p - 1] : '';
    return before === 'i' || before === 'e' || before === 'y' ? 'Y' : 'A';
  }
  if (last === 'i' || last === 'e' || last === 'y') return hadH ? 'Y' : 'I';
  if (hadH) return 'A';
  return 'U'; // u, o, w
}

/**
 * Roman skeleton. Input: a-z and ' (digraph breaker). Vowels (a e i o u),
 * y and w/v after the first letter are vowel material (slots); h after a
 * vowel at the very end is vowel material (-ah, -eh); doubled consonants are
 * written once.
 */
export function romanSkeleton(word: string): Skeleton {
  let w = word;
  if (w.length > 4 && w.endsWith('que')) w = w.slice(0, -2); // Rafique, Tarique, Siddique -> q
  const n = w.length;
  let cons = '';
  const slots: string[] = [];
  let slot = '';
  let broke = false;
  const emit = (code: string): void => {
    if (cons.length > 0 && slot === '' && !broke && cons[cons.length - 1] === code) return; // doubled letter
    slots.push(slot);
    slot = '';
    cons += code;
    broke = false;
  };
  for (let i = 0; i < n;) {
    const c = w[i];
    if (c === "'") {
      broke = true;
      i++;
      continue;
    }
    if (isRomanVowel(c)) {
      slot += c;
      i++;
      continue;
    }
    const atStart = cons.length === 0 && slot === '';
    if (c === 'y') {
      if (atStart && i + 1 < n && isRomanVowel(w[i + 1])) emit('y');
      else slot += 'y';
      i++;
      continue;
    }
    if (c === 'w' || c === 'v') {
      if (atStart) emit('w');
      else slot += 'w';
      i++;
      continue;
    }
    if (c === 'h') {
      if (i === n - 1 && slot !== '') slot += 'h';
      else emit('h');
      i++;
      continue;
    }
    const next = i + 1 < n ? w[i + 1] : '';
    if (next === 'h' && ROMAN_H_DIGRAPH[c] !== undefined) {
      emit(ROMAN_H_DIGRAPH[c]);
      i += 2;
      if (c === 'c' && i < n && w[i] === 'h') i++; // chh
      continue;
    }
    if (c === 'c') {
      if (next === 'k') {
        emit('k');
        i += 2;
      } else {
        emit(next === 'e' || next === 'i' || next === 'y' ? 's' : 'k');
        i++;
      }
      continue;
    }
    if (c === 'x') {
      emit('k');
      emit('s');
      i++;
      continue;
    }
    const code = ROMAN_SINGLE[c];
    if (code !== undefined) emit(code);
    i++;
  }
  slots.push(slot);
  return build(cons, slots, romanFinalClass(slot));
}

// ---------------------------------------------------------------- Urdu

const URDU_CONS: Record<string, string> = {
  ب: 'b',
  پ: 'p',
  ت: 't',
  ٹ: 't',
  ث: 's',
  ج: 'j',
  چ: 'c',
  ح: 'h',
  خ: 'k',
  د: 'd',
  ڈ: 'd',
  ذ: 'z',
  ر: 'r',
  ڑ: 'r',
  ز: 'z',
  ژ: 'z',
  س: 's',
  ش: 'x',
  ص: 's',
  ض: 'z',
  ط: 't',
  ظ: 'z',
  ف: 'f',
  ق: 'k',
  ک: 'k',
  گ: 'g',
  غ: 'g',
  ل: 'l',
  م: 'm',
  ن: 'n',
  ں: 'n',
};

/** URDU_CONS indexed by code point - 0x0600 (all Urdu letters are in U+0600..U+06FF). */
const URDU_CODE: string[] = new Array<string>(256).fill('');
for (const [letter, code] of Object.entries(URDU_CONS)) URDU_CODE[letter.charCodeAt(0) - 0x0600] = code;

/** Class of the final vowel run of an Urdu token: ی ے -> I, و -> U, ا ہ ح -> A (Y when ی comes before). */
export function urduFinalClass(run: string): string {
  let r = '';
  for (const c of run) if (c !== 'ع' && c !== 'ء') r += c;
  if (r === '') return '';
  const last = r[r.length - 1];
  if (last === 'ا' || last === 'ہ' || last === 'ح') {
    let p = r.length - 1;
    while (p > 0 && (r[p - 1] === 'ا' || r[p - 1] === 'ہ' || r[p - 1] === 'ح')) p--;
    const before = p > 0 ? r[p - 1] : '';
    return before === 'ی' || before === 'ے' ? 'Y' : 'A';
  }
  if (last === 'ی' || last === 'ے') return 'I';
  if (last === 'و') return 'U';
  return '';
}

/**
 * Urdu skeleton. Input: canonical Urdu letters (see chars.ts). ا ع ء are
 * vowel material; و and ی are consonants only as the first letter, else
 * vowel material; ہ and ح at the very end are vowel material; ھ is h
 * except after ک گ چ (kh gh ch); لل is one l (اللہ); the dagger alif
 * is a long a (and turns a final ی into alif: موسیٰ = Musa).
 */
export function urduSkeleton(word: string): Skeleton {
  const n = word.length; // canonical Urdu letters are single UTF-16 units
  let cons = '';
  const slots: string[] = [];
  let slot = '';
  const emit = (code: string): void => {
    slots.push(slot);
    slot = '';
    cons += code;
  };
  let prev = '';
  for (let i = 0; i < n; i++) {
    const c = word[i];
    const atStart = cons.length === 0 && slot === '';
    if (c === '\u0670') {
      if (slot.endsWith('ی')) slot = slot.slice(0, -1) + 'ا';
      else slot += 'ا';
    } else if (c === 'ا' || c === 'ع' || c === 'ء' || c === 'آ') {
      slot += c === 'آ' ? 'ا' : c;
    } else if (c === 'و') {
      if (atStart) emit('w');
      else slot += 'و';
    } else if (c === 'ی' || c === 'ے') {
      if (atStart) emit('y');
      else slot += c;
    } else if (c === 'ہ' || c === 'ح') {
      // final: a vowel ending (فاطمہ, شاہ, اللہ) or a final h (صالح) read as -a/-ah
      if (i === n - 1 && !atStart) slot += 'ہ';
      else emit('h');
    } else if (c === 'ھ') {
      // do-chashmi he: the h of an aspirate. After ک گ چ it is folded like Roman kh gh ch; elsewhere it is an h (بھ = bh)
      if (!(slot === '' && (prev === 'ک' || prev === 'گ' || prev === 'چ'))) emit('h');
    } else if (c === 'ل' && prev === 'ل' && slot === '') {
      // لل: the doubled l of اللہ and of the article before a moon letter
    } else {
      const code = URDU_CODE[c.charCodeAt(0) - 0x0600];
      if (code !== undefined && code !== '') emit(code);
    }
    prev = c;
  }
  slots.push(slot);
  return build(cons, slots, urduFinalClass(slot));
}
