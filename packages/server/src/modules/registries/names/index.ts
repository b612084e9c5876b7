/**
 * Name matching (placeholder while it is built in this change; see the
 * interface it must keep).
 */
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
}
export function tokenize(_name: string): NameToken[] {
  throw new Error('names: not built yet');
}
export function nameKeys(_name: string): string[] {
  throw new Error('names: not built yet');
}
export function compareNames(_query: string, _candidate: { roman: string; urdu?: string | null }): NameComparison {
  throw new Error('names: not built yet');
}
