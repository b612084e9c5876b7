/**
 * Ranking: token pair scores (exact, same key with vowel agreement, near
 * miss) and an order-insensitive alignment of the query's tokens with the
 * candidate's Roman and Urdu tokens. See index.ts.
 */
import type { Tok } from './tokens.ts';

const MA = new Uint8Array(64);
const MB = new Uint8Array(64);

/** Jaro-Winkler similarity (0..1) of two short strings. */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return 0;
  const range = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  const big = la > 64 || lb > 64;
  const ma = big ? new Uint8Array(la) : MA.fill(0, 0, la);
  const mb = big ? new Uint8Array(lb) : MB.fill(0, 0, lb);
  let m = 0;
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - range);
    const hi = Math.min(lb - 1, i + range);
    for (let j = lo; j <= hi; j++) {
      if (mb[j] === 0 && a.charCodeAt(i) === b.charCodeAt(j)) {
        ma[i] = 1;
        mb[j] = 1;
        m++;
        break;
      }
    }
  }
  if (m === 0) return 0;
  let t = 0;
  let k = 0;
  for (let i = 0; i < la; i++) {
    if (ma[i] === 0) continue;
    while (mb[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) t++;
    k++;
  }
  const jaro = (m / la + m / lb + (m - t / 2) / m) / 3;
  let p = 0;
  while (p < 4 && p < la && p < lb && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return jaro + p * 0.1 * (1 - jaro);
}

// ---------------------------------------------------------------- vowel slots

// Vowel qualities as bits: a, i, u, and E (ai/ei/ē, written ی).
const QA = 1;
const QI = 2;
const QU = 4;
const QE = 8;

/** A Roman slot: q = qualities it can stand for; long = explicitly long ones (aa, ee/ii, oo/ou/uu, ai/ei/ay/ey/ae); w/y = a dropped consonant. */
interface RomanSlot {
  q: number;
  long: number;
  w: boolean;
  y: boolean;
}

function romanSlot(s: string): RomanSlot {
  let q = 0;
  let long = 0;
  let w = false;
  let y = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const n = i + 1 < s.length ? s[i + 1] : '';
    if (c === 'a') q |= QA;
    else if (c === 'e') q |= QA | QI | QE;
    else if (c === 'i') q |= QI;
    else if (c === 'o' || c === 'u') q |= QU;
    else if (c === 'w') w = true;
    else if (c === 'y') y = true;
    const pair = c + n;
    if (pair === 'aa') long |= QA;
    else if (pair === 'ee' || pair === 'ii' || pair === 'iy') long |= QI;
    else if (pair === 'oo' || pair === 'ou' || pair === 'uu' || pair === 'au' || pair === 'ow') long |= QU;
    else if (pair === 'ai' || pair === 'ay' || pair === 'ei' || pair === 'ey' || pair === 'ae') {
      long |= QE;
      q |= QE | QI;
    }
  }
  return { q, long, w, y };
}

interface UrduSlot {
  alif: boolean;
  waw: boolean;
  yeh: boolean;
}

function urduSlot(s: string): UrduSlot {
  return { alif: s.includes('ا'), waw: s.includes('و'), yeh: s.includes('ی') || s.includes('ے') };
}

/** long qualities of a that b cannot stand for (E is satisfied by i). */
function unmetLong(a: RomanSlot, b: RomanSlot): boolean {
  let need = a.long & ~b.q;
  if ((need & QE) !== 0 && (b.q & QI) !== 0) need &= ~QE;
  return need !== 0;
}

/** Conflicts between two Roman spellings of one vowel slot (0, 0.5 or 1). */
function romanRomanConflict(a: string, b: string): number {
  if (a === b) return 0;
  const ra = romanSlot(a);
  const rb = romanSlot(b);
  if (a === '' || b === '') {
    const other = a === '' ? rb : ra;
    return other.long !== 0 ? 1 : 0.5;
  }
  if ((ra.q & rb.q) === 0) return ra.long !== 0 || rb.long !== 0 ? 1 : 0.5;
  return unmetLong(ra, rb) || unmetLong(rb, ra) ? 1 : 0;
}

/** Conflicts between a Roman slot and the Urdu letters of the same slot. */
function romanUrduConflict(roman: string, urdu: string, initial: boolean): number {
  const r = romanSlot(roman);
  const u = urduSlot(urdu);
  // a word-initial alif (or ain) carries any short vowel: Asad اسد, Iqbal اقبال, Usman عثمان
  if (initial) u.alif = false;
  let c = 0;
  const wawVowel = u.waw && !r.w;
  const yehVowel = u.yeh && !r.y;
  if (wawVowel && (r.q & QU) === 0) c += 1;
  if (yehVowel && (r.q & (QI | QE)) === 0) c += 1;
  if (u.alif && (r.q & QA) === 0) c += 0.5;
  // A long vowel the Roman spells out (oo, ee, ai) but the Urdu does not
  // write is strong evidence of another name (Mahmood is not محمد, Shaheed
  // is not شاہد); a long vowel the Urdu writes but a romanisation leaves
  // short is common (Qurashi for قریشی) and weighs half as much.
  if ((r.long & QU) !== 0 && !u.waw) c += 2;
  if ((r.long & (QI | QE)) !== 0 && !u.yeh) c += 2;
  if ((r.long & QA) !== 0 && !u.alif) c += 0.5;
  return c;
}

function urduUrduConflict(a: string, b: string): number {
  if (a === b) return 0;
  const x = urduSlot(a);
  const y = urduSlot(b);
  return (x.alif !== y.alif ? 0.5 : 0) + (x.waw !== y.waw ? 1 : 0) + (x.yeh !== y.yeh ? 1 : 0);
}

/**
 * Sum of conflicts over the vowel slots of two tokens with the same key. The
 * last slot is skipped (its class is in the key); the first is compared only
 * when both tokens start with a vowel.
 */
export function vowelConflicts(a: Tok, b: Tok): number {
  const sa = a.skel.slots;
  const sb = b.skel.slots;
  if (sa.length !== sb.length) return 2;
  let c = 0;
  for (let i = 0; i < sa.length - 1; i++) {
    if (i === 0 && (sa[0] === '' || sb[0] === '')) continue;
    if (a.script === 'latin' && b.script === 'latin') c += romanRomanConflict(sa[i], sb[i]);
    else if (a.script === 'arabic' && b.script === 'arabic') c += urduUrduConflict(sa[i], sb[i]);
    else if (a.script === 'latin') c += romanUrduConflict(sa[i], sb[i], i === 0);
    else c += romanUrduConflict(sb[i], sa[i], i === 0);
  }
  return c;
}

// ---------------------------------------------------------------- pairs

export interface PairScore {
  score: number;
  reason: string;
}

const NO_MATCH: PairScore = { score: 0, reason: '' };

function letterMask(s: string): number {
  let m = 0;
  for (let i = 0; i < s.length; i++) m |= 1 << (s.charCodeAt(i) & 31);
  return m;
}

function popcount(x: number): number {
  let n = 0;
  let v = x >>> 0;
  while (v !== 0) {
    v &= v - 1;
    n++;
  }
  return n;
}

/** Similarity of one query token and one candidate token. */
export function pairScore(q: Tok, c: Tok): PairScore {
  if (q.script === c.script && q.folded === c.folded) return { score: 1, reason: 'exact' };
  const cross = q.script !== c.script;
  if (q.key === c.key) {
    const conflicts = q.via === 'abbreviation' || c.via === 'abbreviation' ? 0 : vowelConflicts(q, c);
    const perConflict = q.script === 'arabic' && c.script === 'arabic' ? 0.25 : 0.15;
    const score = Math.max(0.5, 0.9 - perConflict * conflicts);
    let reason: string;
    if (q.via === 'abbreviation' || c.via === 'abbreviation') reason = cross ? 'abbreviation, Urdu transliteration' : 'abbreviation';
    else if (cross) reason = conflicts === 0 ? 'Urdu transliteration' : 'Urdu transliteration, vowels differ';
    else if (q.script === 'arabic') reason = conflicts === 0 ? 'Urdu spelling variant' : 'same consonants, different long vowels';
    else reason = conflicts === 0 ? 'spelling variant' : 'same consonants, different vowels';
    return { score, reason };
  }
  // near miss: a typo or a variant the key does not fold
  if (q.key.length < 3 || c.key.length < 3) return NO_MATCH;
  if (Math.abs(q.key.length - c.key.length) > 2) return NO_MATCH;
  // Jaro-Winkler >= 0.85 needs most letters in common: a letter-set test first
  if (2 * popcount(letterMask(q.key) & letterMask(c.key)) < Math.max(q.key.length, c.key.length)) return NO_MATCH;
  let sim = jaroWinkler(q.key, c.key);
  if (sim < 0.85 && !cross && q.script === 'latin' && Math.abs(q.folded.length - c.folded.length) <= 2) sim = jaroWinkler(q.folded, c.folded) - 0.03;
  if (sim < 0.85) return NO_MATCH;
  return { score: Math.round((0.3 + (sim - 0.85) * 2) * 1000) / 1000, reason: 'similar spelling' };
}

// ---------------------------------------------------------------- names

export interface Comparison {
  score: number;
  why: string[];
  /** The lowest score of any query token (0 when one found no partner). */
  weakest: number;
}

function quote(s: string): string {
  return '"' + s + '"';
}

/** Order-insensitive greedy alignment of the query tokens with the candidate's Roman and Urdu tokens. */
export function compareTokens(query: Tok[], roman: Tok[], urdu: Tok[]): Comparison {
  const nq = query.length;
  const nr = roman.length;
  const nc = nr + urdu.length;
  const slots = Math.max(nr, urdu.length);
  if (nq === 0 || nc === 0) return { score: 0, weakest: 0, why: nq === 0 ? [] : query.map((q) => quote(q.text) + ': no match') };
  const cand = (i: number): Tok => (i < nr ? roman[i] : urdu[i - nr]);
  // score matrix, then greedy: best remaining pair first
  const score: number[] = new Array<number>(nq * nc);
  const reason: string[] = new Array<string>(nq * nc);
  for (let qi = 0; qi < nq; qi++) {
    for (let ci = 0; ci < nc; ci++) {
      const p = pairScore(query[qi], cand(ci));
      score[qi * nc + ci] = p.score;
      reason[qi * nc + ci] = p.reason;
    }
  }
  const qMatch: number[] = new Array<number>(nq).fill(-1);
  const qScore: number[] = new Array<number>(nq).fill(0);
  const qReason: string[] = new Array<string>(nq).fill('');
  const cUsed: boolean[] = new Array<boolean>(nc).fill(false);
  // a Roman token and an Urdu token at the same position are one name written twice
  const posUsed: boolean[] = new Array<boolean>(slots).fill(false);
  let matched = 0;
  for (;;) {
    let best = 0;
    let bi = -1;
    for (let qi = 0; qi < nq; qi++) {
      if (qMatch[qi] >= 0) continue;
      for (let ci = 0; ci < nc; ci++) {
        const sc = score[qi * nc + ci];
        if (sc > best && !cUsed[ci]) {
          best = sc;
          bi = qi * nc + ci;
        }
      }
    }
    if (bi < 0) break;
    const qi = Math.floor(bi / nc);
    const ci = bi - qi * nc;
    qMatch[qi] = ci;
    qScore[qi] = best;
    qReason[qi] = reason[bi];
    cUsed[ci] = true;
    const pos = ci < nr ? ci : ci - nr;
    if (!posUsed[pos]) {
      posUsed[pos] = true;
      matched++;
    }
  }
  // The Urdu spelling writes long vowels that Roman spellings leave ambiguous
  // (Shahid شاہد / Shaheed شہید, محمد / محمود): when the candidate's Urdu
  // token at the same position has the same key, a match through its Roman
  // spelling cannot score above the match against its Urdu spelling. This
  // holds for Roman and Urdu queries alike.
  if (urdu.length === nr) {
    for (let qi = 0; qi < nq; qi++) {
      const ci = qMatch[qi];
      if (ci < 0 || ci >= nr || qScore[qi] === 1) continue;
      const u = urdu[ci];
      if (u.key !== roman[ci].key) continue;
      const us = pairScore(query[qi], u);
      if (us.score < qScore[qi]) {
        qScore[qi] = us.score;
        qReason[qi] = 'vowels differ from the Urdu spelling ' + quote(u.text);
      }
    }
  }
  let sum = 0;
  const why: string[] = [];
  for (let qi = 0; qi < nq; qi++) {
    const ci = qMatch[qi];
    if (ci < 0) {
      why.push(quote(query[qi].text) + ': no match');
      continue;
    }
    sum += qScore[qi];
    why.push(quote(query[qi].text) + (qScore[qi] === 1 ? ' = ' : ' ≈ ') + quote(cand(ci).text) + ' (' + qReason[qi] + ')');
  }
  const extra = Math.max(0, slots - matched);
  if (extra > 0) {
    const rest: string[] = [];
    const fromRoman = nr >= urdu.length;
    const src = fromRoman ? roman : urdu;
    for (let i = 0; i < src.length; i++) if (!posUsed[i] && !cUsed[fromRoman ? i : nr + i]) rest.push(quote(src[i].text));
    if (rest.length > 0) why.push('not in the query: ' + rest.join(', '));
  }
  const total = (sum / nq) * (1 - 0.12 * Math.min(extra, 5));
  let weakest = 1;
  for (let qi = 0; qi < nq; qi++) weakest = Math.min(weakest, qMatch[qi] < 0 ? 0 : qScore[qi]);
  return { score: Math.round(Math.max(0, Math.min(1, total)) * 1000) / 1000, why, weakest };
}
