/**
 * The only word lists of the name matcher. They are deliberately small: the
 * key is computed by the phonetic rules in skeleton.ts; these lists cover
 * conventional abbreviations, a few spellings the rules cannot read, titles
 * that are not part of a name and the Arabic article/compound forms. There is
 * no list of names.
 */

/**
 * Conventional abbreviations (folded Roman, after the dot is dropped) and
 * irregular spellings, mapped to a spelling the rules read correctly.
 */
export const ROMAN_ABBREVIATIONS = new Map<string, string>(
  Object.entries({
    m: 'muhammad',
    md: 'muhammad',
    mohd: 'muhammad',
    muhd: 'muhammad',
    mhd: 'muhammad',
    ch: 'chaudhry',
    chaud: 'chaudhry',
    sh: 'sheikh',
    shk: 'sheikh',
    gh: 'ghulam',
    syd: 'syed',
  }),
);

/** Irregular Roman spellings: th read as ث (Arabic transliteration), sh read as س+ح (Is-haq). */
export const ROMAN_IRREGULAR = new Map<string, string>(
  Object.entries({
    uthman: 'usman',
    othman: 'usman',
    usthman: 'usman',
    ishaq: "is'haq",
    ishaque: "is'haq",
    ishaaq: "is'haq",
    eshaq: "is'haq",
    ishak: "is'haq",
  }),
);

export const URDU_ABBREVIATIONS = new Map<string, string>(
  Object.entries({
    م: 'محمد',
    // both spellings of Chaudhry are current; one key for both
    چوہدری: 'چودھری',
    چوھدری: 'چودھری',
    چودہری: 'چودھری',
  }),
);

/** Titles, honorifics and relation words that are not part of a person's name (folded). */
export const TITLES = new Set([
  // English and Roman
  'mr',
  'mrs',
  'ms',
  'miss',
  'mst',
  'mstt',
  'musammat',
  'mussammat',
  'musamat',
  'dr',
  'doctor',
  'prof',
  'professor',
  'engr',
  'eng',
  'haji',
  'hajji',
  'alhaj',
  'alhajj',
  'janab',
  'jnb',
  'sahib',
  'sahab',
  'saheb',
  'sb',
  'maulana',
  'molana',
  'moulana',
  'maulvi',
  'molvi',
  'moulvi',
  'mufti',
  'allama',
  'hazrat',
  'hazrath',
  'late',
  'marhoom',
  'marhum',
  'son',
  'daughter',
  'wife',
  'widow',
  'of',
  'alias',
  'urf',
  // Urdu (folded letters)
  'مسٹر',
  'مسز',
  'ڈاکٹر',
  'پروفیسر',
  'انجینئر',
  'انجینیر',
  'حاجی',
  'الحاج',
  'جناب',
  'صاحب',
  'مولانا',
  'مولوی',
  'مفتی',
  'علامہ',
  'حضرت',
  'مرحوم',
  'مرحومہ',
  'مسمات',
  'مسماہ',
  'محترم',
  'محترمہ',
  'ولد',
  'بنت',
  'زوجہ',
  'دختر',
  'عرف',
]);

/** Roman article forms written as their own word (Zia ul Haq, Abd-ur-Rehman, Khair-un-Nisa). */
export const ROMAN_ARTICLES = new Set(['ul', 'ud', 'ur', 'us', 'uz', 'un', 'ut', 'ush', 'al', 'el', 'ad', 'ar', 'as', 'az', 'an', 'at', 'ash', 'il']);

/** Roman article attached with its assimilated consonant doubled (uddin, ullah, urrehman, unnisa, uzzaman). */
export const ROMAN_DOUBLED_ARTICLE = /^u([dlrnz])\1([a-z']{2,})$/;

/**
 * Second parts of compound names that Roman and Urdu write attached to the
 * first part (Nooruddin, Habibullah, Ziaulhaq): split off so that both
 * spellings give the same tokens. [Roman suffix, what it becomes].
 */
export const ROMAN_ATTACHED_SUFFIXES: [string, string][] = [
  ['uddin', 'aldin'],
  ['uddeen', 'aldin'],
  ['udeen', 'aldin'],
  ['udin', 'aldin'],
  ['ullah', 'allah'],
  ['ulla', 'allah'],
  ['ulhaq', 'alhaq'],
  ['ulhaque', 'alhaq'],
  ['unnisa', 'alnisa'],
  ['unnissa', 'alnisa'],
  ['uzzaman', 'alzaman'],
  ['urrehman', 'alrehman'],
  ['urrahman', 'alrahman'],
];

export const URDU_ATTACHED_SUFFIXES = ['الدین', 'اللہ', 'الحق', 'النساء', 'النسا', 'الزمان', 'الرحمن', 'الرحمان'];
