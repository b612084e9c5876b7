/**
 * Token level: raw tokens (chars.ts) -> name tokens with their phonetic
 * skeleton and key. Drops titles, expands abbreviations, joins compounds
 * (Abdul + Rehman, ul + Haq, Bi + Bi) and splits attached second parts
 * (Nooruddin, حبیباللہ). See index.ts for the algorithm.
 */
import { scan, type RawToken, type Script } from './chars.ts';
import { romanSkeleton, urduSkeleton, type Skeleton } from './skeleton.ts';
import {
  ROMAN_ABBREVIATIONS,
  ROMAN_ARTICLES,
  ROMAN_ATTACHED_SUFFIXES,
  ROMAN_DOUBLED_ARTICLE,
  ROMAN_IRREGULAR,
  TITLES,
  URDU_ABBREVIATIONS,
  URDU_ATTACHED_SUFFIXES,
} from './tables.ts';

export const MAX_TOKENS = 12;

export type Via = '' | 'abbreviation' | 'compound';

export interface Tok {
  text: string;
  script: Script;
  /** Folded spelling (exact comparison). */
  folded: string;
  /** The spelling the skeleton was read from (an abbreviation's expansion, a compound's second part). */
  basis: string;
  skel: Skeleton;
  key: string;
  via: Via;
  /** Extra key stored by nameKeys (the second part of an Abd- compound), or null. */
  alias: string | null;
}

interface Work {
  text: string;
  script: Script;
  folded: string;
  basis: string;
  via: Via;
  /** basis starts with an article that a compound drops (ul Haq -> alhaq). */
  article: boolean;
}

const ABD_ROMAN = /^abd(?:([aeiu])(l?))?(.*)$/;
const ASSIMILATED = new Set(['r', 's', 'z', 'd', 'n', 't', 'sh', 'ss', 'rr', 'zz']);

function splitAttached(t: RawToken, out: Work[]): void {
  const f = t.folded;
  if (t.script === 'latin') {
    if (f.length >= 7 && f.lastIndexOf('u') >= 3 && !f.startsWith('abd')) {
      for (const [suf, rep] of ROMAN_ATTACHED_SUFFIXES) {
        if (f.length >= suf.length + 3 && f.endsWith(suf)) {
          const cut = t.text.length === f.length ? t.text.length - suf.length : t.text.length;
          out.push({ text: t.text.slice(0, cut), script: 'latin', folded: f.slice(0, -suf.length), basis: f.slice(0, -suf.length), via: '', article: false });
          out.push({ text: cut < t.text.length ? t.text.slice(cut) : t.text, script: 'latin', folded: suf, basis: rep, via: '', article: true });
          return;
        }
      }
    }
  } else if (f.length >= 6 && f.indexOf('ال', 2) > 0 && !f.startsWith('عبد')) {
    for (const suf of URDU_ATTACHED_SUFFIXES) {
      if (f.length >= suf.length + 2 && f.endsWith(suf)) {
        const cut = t.text.length === f.length ? t.text.length - suf.length : t.text.length;
        out.push({ text: t.text.slice(0, cut), script: 'arabic', folded: f.slice(0, -suf.length), basis: f.slice(0, -suf.length), via: '', article: false });
        out.push({ text: cut < t.text.length ? t.text.slice(cut) : t.text, script: 'arabic', folded: suf, basis: suf, via: '', article: true });
        return;
      }
    }
  }
  out.push({ text: t.text, script: t.script, folded: f, basis: f, via: '', article: false });
}

/** Abbreviations, irregular spellings, titles, stray initials. Returns null to drop the token. */
function normalise(w: Work): Work | null {
  if (w.script === 'latin') {
    const f = w.folded.indexOf("'") >= 0 ? w.folded.replace(/'/g, '') : w.folded;
    if (TITLES.has(f)) return null;
    const abbr = ROMAN_ABBREVIATIONS.get(f);
    if (abbr !== undefined) return { ...w, basis: abbr, via: 'abbreviation' };
    const irr = ROMAN_IRREGULAR.get(f);
    if (irr !== undefined) return { ...w, basis: irr };
    if (f.length < 2) return null; // an initial other than M. cannot be matched to a name
    const m = f.charCodeAt(0) === 117 /* u */ && !w.article ? ROMAN_DOUBLED_ARTICLE.exec(w.basis) : null;
    if (m !== null) return { ...w, basis: 'al' + m[1] + m[2], article: true };
    return w;
  }
  if (TITLES.has(w.folded)) return null;
  const abbr = URDU_ABBREVIATIONS.get(w.folded);
  if (abbr !== undefined) return { ...w, basis: abbr, via: abbr === 'محمد' ? 'abbreviation' : '' };
  if (w.folded.length < 2) return null; // Urdu letters are single UTF-16 units
  return w;
}

function stripArticle(w: Work): string {
  if (w.script === 'latin') return w.article && w.basis.startsWith('al') ? w.basis.slice(2) : w.basis;
  return w.basis.startsWith('ال') && w.basis.length > 3 ? w.basis.slice(2) : w.basis;
}

function joinText(a: string, b: string): string {
  return a + ' ' + b;
}

/** Joins Abd- compounds, standalone articles and repeated short words (Bi Bi). */
function compounds(ws: Work[]): Work[] {
  const out: Work[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i];
    if (w.script === 'latin') {
      const m = w.basis.startsWith('abd') ? ABD_ROMAN.exec(w.basis) : null;
      if (m !== null && w.via === '') {
        // abdur, abdus, abdush...: the article's consonant assimilated to the next word's first
        let rest = m[1] !== undefined && m[2] === '' && ASSIMILATED.has(m[3]) ? '' : m[3];
        let text = w.text;
        if (rest === '') {
          let j = i + 1;
          if (j < ws.length && ws[j].script === 'latin' && ROMAN_ARTICLES.has(ws[j].folded)) j++;
          if (j < ws.length && ws[j].script === 'latin') {
            for (let k = i + 1; k <= j; k++) text = joinText(text, ws[k].text);
            rest = stripArticle(ws[j]);
            i = j;
          }
        }
        out.push({ text, script: 'latin', folded: w.folded, basis: rest, via: 'compound', article: false });
        continue;
      }
      if (ROMAN_ARTICLES.has(w.folded) && !w.article) {
        const next = ws[i + 1];
        if (next !== undefined && next.script === 'latin' && next.via === '') {
          out.push({ ...next, text: joinText(w.text, next.text), basis: next.article ? next.basis : 'al' + next.basis, article: true });
          i++;
        }
        continue; // a lone article is not a name
      }
    } else {
      if (w.basis.startsWith('عبد') && w.via === '') {
        let rest = w.basis.slice(3);
        if (rest.startsWith('ال')) rest = rest.slice(2);
        let text = w.text;
        if (rest === '') {
          let j = i + 1;
          if (j < ws.length && ws[j].script === 'arabic' && ws[j].basis === 'ال') j++;
          if (j < ws.length && ws[j].script === 'arabic') {
            for (let k = i + 1; k <= j; k++) text = joinText(text, ws[k].text);
            rest = stripArticle(ws[j]);
            i = j;
          }
        }
        out.push({ text, script: 'arabic', folded: w.folded, basis: rest, via: 'compound', article: false });
        continue;
      }
      if (w.basis === 'ال') {
        const next = ws[i + 1];
        if (next !== undefined && next.script === 'arabic') {
          out.push({ ...next, text: joinText(w.text, next.text), basis: 'ال' + next.basis, article: true });
          i++;
        }
        continue;
      }
    }
    // Bi Bi, بی بی: a short word written twice is one name
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.script === w.script && prev.folded === w.folded && prev.via === '' && w.folded.length <= 2) {
      out[out.length - 1] = { ...prev, text: joinText(prev.text, w.text), folded: prev.folded + w.folded, basis: prev.basis + w.basis };
      continue;
    }
    out.push(w);
  }
  return out;
}

function finish(w: Work): Tok {
  const skel = w.script === 'latin' ? romanSkeleton(w.basis) : urduSkeleton(w.basis);
  let key = skel.key;
  let alias: string | null = null;
  if (w.via === 'compound') {
    key = skel.key === '' ? 'Abd' : 'Abd-' + skel.key;
    alias = skel.key === '' ? null : skel.key;
  }
  const folded = w.script === 'latin' && w.folded.indexOf("'") >= 0 ? w.folded.replace(/'/g, '') : w.folded;
  return { text: w.text, script: w.script, folded, basis: w.basis, skel, key, via: w.via, alias };
}

/**
 * The full analysis of a name: at most MAX_TOKENS tokens, each with a
 * non-empty key. Never throws. (No cache: with millions of distinct names a
 * cache's churn costs more in garbage collection than it saves.)
 */
export function analyse(name: unknown): Tok[] {
  if (typeof name !== 'string' || name.length === 0) return [];
  const raw = scan(name);
  if (raw.length === 0) return [];
  const split: Work[] = [];
  for (const t of raw) splitAttached(t, split);
  const norm: Work[] = [];
  for (const w of split) {
    const n = normalise(w);
    if (n !== null) norm.push(n);
  }
  const joined = compounds(norm);
  const out: Tok[] = [];
  for (const w of joined) {
    if (out.length >= MAX_TOKENS) break;
    const t = finish(w);
    if (t.key !== '') out.push(t);
  }
  return out;
}
