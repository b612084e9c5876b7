/**
 * Transliteration-aware matching of Pakistani person names, Roman or Urdu.
 *
 * The search stores `nameKeys(name) ∪ nameKeys(nameUrdu)` for each person,
 * selects candidates whose keys contain every key of the query
 * (`name_keys @> ARRAY[...]`, GIN) and ranks them with `compareNames`. Recall
 * therefore needs one key for every spelling of a name token, in both scripts;
 * precision comes first from ANDing several tokens, then from the ranking.
 *
 * THE KEY: a consonant skeleton, with only the vowel facts both scripts write.
 *   Urdu does not write short vowels; Roman spellings write every vowel but not
 *   its length, and each in several ways (Nadim/Nadeem, Mahmud/Mahmood,
 *   Javed/Javaid, Yusuf/Yousaf/Yousef). So the key keeps:
 *   - "A" if the word starts with a vowel (Roman a e i o u; Urdu ا آ ع), so
 *     Ahmad (Ahmd) is not Hamad (hmd);
 *   - the consonants, in classes that the Roman spellings do not tell apart
 *     (CONSONANT CODES): b p t(ت ط ٹ) s(ث س ص) j c(چ, ch) h(ح ہ, medial)
 *     k(ک ق خ: k q kh ck, "q/k" is always safe in the key) g(گ غ: g gh)
 *     d(د ڈ) z(ذ ز ض ظ ژ) r(ر ڑ) x(ش, sh) f(ف, ph) l m n(ن ں) w y.
 *     Roman: doubled letters once (Hassan = Hasan); sh kh gh ch ph are digraphs;
 *     every other consonant + h is two consonants (Bhatti بھٹی = bhtI,
 *     Mazhar مظہر = mzhr, Chaudhry چودھری = cdhrI); c is s before e i y, else k;
 *     x is ks; "-que" is q (Rafique). Urdu: ھ is h (the written aspirate) except
 *     after ک گ چ where Roman kh gh ch absorb it; لل is one l (اللہ);
 *   - w/v/و and y/ی count as consonants only as the first letter (Waqar,
 *     Yusuf); elsewhere they are vowel material, because Urdu و and ی are
 *     either vowels or consonants (Mahmood محمود vs Anwar انور, Saleem vs
 *     Maryam) and Roman spellings swap them freely (Rizwan/Rizvan, Syed/Sayyid);
 *   - the class of the written final vowel, which both scripts always write:
 *     A (Roman -a -ah -eh; Urdu ا ہ ة ح at the end: Fatima فاطمہ, Shah شاہ),
 *     Y (-ia -iya -ya; یہ یا: Aliya علیہ, Sania ثانیہ), I (-i -ee -y; ی ے:
 *     Ali علی, Qureshi قریشی), U (-u -o -oo; و). A Roman final bare -e is
 *     silent. The dagger alif makes a final ی an alif (موسیٰ = Musa).
 *   Keys look like: Muhammad محمد Mohd Md -> "mhmd", Ali علی Aly -> "AlI",
 *   Fatima فاطمہ Fatma -> "ftmA", Khan خان -> "kn", Chaudhry Ch. چوہدری -> "cdhrI".
 *
 * CHARACTERS (chars.ts): NFC, then each code point folded through NFKD:
 * Latin diacritics removed (Ṣādiq = sadiq), Arabic presentation forms and
 * ligatures to letters (ﻣﺤﻤﺪ, ﷲ), harakat/shadda/tatweel/ZWJ/bidi marks removed,
 * Arabic/Persian/Sindhi/Pashto letter forms to the Urdu letter (ي ى -> ی,
 * ك -> ک, ه ة ۃ ۂ -> ہ, أ إ آ -> ا, ئ -> ی, ؤ -> و, ڪ -> ک ...). Separators:
 * space, punctuation (. - / ,), digits of every script, symbols, emoji, control
 * characters and ZWNJ. An apostrophe stays inside a Roman word (Sa'eed) and
 * stops a digraph (Is'haq). A change of script splits a word (Aliعلی).
 *
 * TOKENS (tokens.ts, tables.ts):
 * - titles and relation words are dropped: Mr Mrs Dr Prof Engr Mst/Musammat
 *   Haji Alhaj Janab Sahib Maulana Maulvi Mufti Allama Hazrat Late/Marhoom,
 *   s/o d/o w/o (single letters), son/daughter/wife of, and the Urdu ones
 *   (ڈاکٹر حاجی الحاج جناب صاحب مولانا مسمات محترمہ ولد بنت زوجہ ...).
 *   Kept as name tokens: Syed/Sayyid/Sayed (one key "sd"), Shah, Mian, Mirza,
 *   Malik, Rana, Chaudhry, Sheikh, Khawaja, Sardar, Begum, Bibi, and Hafiz
 *   (also a given name, and Hafeez has the same skeleton);
 * - abbreviations: M. Md Mohd Muhd Mhd -> Muhammad, Ch. -> Chaudhry,
 *   Sh. -> Sheikh, Gh. -> Ghulam, Syd -> Syed, Urdu م -> محمد; irregular
 *   spellings: Uthman/Othman (th = ث) -> Usman, Ishaq (س + ح) -> Is'haq.
 *   Other single letters (initials) are dropped: they cannot be matched;
 * - Abd compounds are one token "Abd-" + key of the second part, article
 *   removed: Abdul Rehman, Abdur Rahman, Abd-ul-Rehman, Abdurrehman,
 *   عبدالرحمن, عبد الرحمن -> "Abd-rhmn" (nameKeys also stores "rhmn");
 * - a standalone article joins the next word as "al": Zia ul Haq, Zia-ul-Haq,
 *   ضیاء الحق -> "zY" + "Alhk"; the doubled article (Uddin, Ullah, Unnisa,
 *   Uzzaman, Urrehman) likewise; attached second parts are split off
 *   (Nooruddin, Habibullah, Ziaulhaq, نورالدین, حبیباللہ);
 * - a short word written twice is one word (Bi Bi, بی بی = Bibi);
 * - at most 12 tokens; input read up to 512 characters, tokens to 40 letters.
 *
 * RANKING (similarity.ts): the query's tokens are aligned greedily, in any
 * order, with the candidate's Roman and Urdu tokens (a Roman and an Urdu token
 * at the same position count as one name). A pair scores 1 for the same
 * spelling (after folding: محمّد = محمد, يوسف = یوسف), 0.9 for the same key
 * ("spelling variant", "Urdu transliteration", "abbreviation"), minus 0.15
 * for each vowel conflict found by comparing the vowel material slot by slot
 * between the same consonants (0.25 between two Urdu spellings, whose long
 * vowels are certain): a written long vowel (ee oo ou ai aa, ی و ا) against
 * none or another quality. Muhammad/Mahmood 0.6, Hassan/Hussain 0.675,
 * محمد/محمود 0.65. When the candidate's Urdu token at the same position has
 * the same key, it caps the Roman match: Urdu decides vowel length (Shaheed vs
 * Shahid شاہد = 0.75). Different keys: 0.3..0.6 when the keys (or Roman
 * spellings) are Jaro-Winkler >= 0.85 ("similar spelling", a typo), else 0.
 * Name score = mean over the query's tokens (a missing token counts 0), times
 * 1 - 0.12 per candidate token not in the query (at most 5): a missing name part weighs more than a spelling variant.
 *
 * KNOWN LIMITS (deliberate, for recall):
 * - Pairs that differ only by a vowel length that Roman spellings do not
 *   show share a key: Muhammad محمد / Mahmood محمود ("mhmd"), Hassan حسن /
 *   Hussain حسین ("hsn"), Hamid حامد / Hamad حمد / Hameed حمید ("hmd"),
 *   Shahid شاہد / Shaheed شہید ("xhd"), Umar/Amir/Umair, Jamal/Jamil,
 *   Sajid/Sajjad, Javed/Jawad, Saeed/Syed/Saad. No spelling rule can split
 *   them without losing required variants: Roman "u" is long in Mahmud محمود
 *   but short in Yusuf یوسف and Muhammad; "i" is short in Zahid زاہد but long
 *   in Salim سلیم and Nadim ندیم; "e" is long in Javed جاوید and Zenab زینب but
 *   short in Ahmed. These pairs are told apart by compareNames (scores above),
 *   and by the other tokens of the query.
 * - Aspiration written in one spelling only: Lodhi لودھی vs Lodi (near miss).
 * - An article attached to the first word (Ziaul Haq, Fazlur Rehman) is not
 *   split: "Ziaul" is not "Zia".
 * - Final ی without the dagger alif reads as -i: مصطفی is not Mustafa
 *   (مصطفیٰ is).
 * - Roman ph is f (پھ is p + h); Roman dh is d + h, not ذ (Pakistani Roman
 *   writes ذ as z).
 * - Other scripts (Devanagari, Chinese...) are ignored.
 */
import { analyse, type Tok } from './tokens.ts';
import { compareTokens } from './similarity.ts';

export interface NameToken {
  /** The token as written, NFC-normalised. */
  text: string;
  script: 'latin' | 'arabic';
  /** Transliteration-neutral phonetic key: Roman and Urdu spellings of one name share it. */
  key: string;
}
export interface NameComparison {
  /** 0..1 */
  score: number;
  /** Why it matched, one line per token pair. */
  why: string[];
  /** The lowest score of any query token: below ~0.7 a token only shares a key (Muhammad / Mahmood). */
  weakest: number;
}

/** The name's tokens (at most 12), titles dropped, compounds joined. Never throws; [] for no name. */
export function tokenize(name: string): NameToken[] {
  const toks = analyse(name);
  const out: NameToken[] = new Array<NameToken>(toks.length);
  for (let i = 0; i < toks.length; i++) out[i] = { text: toks[i].text, script: toks[i].script, key: toks[i].key };
  return out;
}

/** Unique keys of the name's tokens (and of the second part of an Abd- compound), for a GIN text[] index. */
export function nameKeys(name: string): string[] {
  const toks = analyse(name);
  const out: string[] = [];
  for (const t of toks) {
    if (!out.includes(t.key)) out.push(t.key);
    if (t.alias !== null && !out.includes(t.alias)) out.push(t.alias);
  }
  return out;
}

let lastQuery: string | null = null;
let lastQueryToks: Tok[] = [];

/**
 * Ranks a candidate against a query: 1 for the same tokens in the same
 * spelling, ~0.9 for spelling variants and transliterations, less for vowel
 * disagreements, near misses, missing and extra tokens. Never throws.
 */
export function compareNames(query: string, candidate: { roman: string; urdu?: string | null }): NameComparison {
  try {
    if (query !== lastQuery) {
      lastQueryToks = analyse(query);
      lastQuery = typeof query === 'string' ? query : null;
    }
    const c = (candidate ?? {}) as { roman?: unknown; urdu?: unknown };
    return compareTokens(lastQueryToks, analyse(c.roman), analyse(c.urdu));
  } catch {
    return { score: 0, why: [], weakest: 0 };
  }
}
