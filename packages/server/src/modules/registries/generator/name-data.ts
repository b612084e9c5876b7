/**
 * Name units for the synthetic population: Pakistani given names, female
 * second names and clan/caste names, each with the spelling NADRA most often
 * prints, the Urdu (Nastaliq) script, the other Roman spellings departments
 * really use for the same name, and abbreviations (Mohd, Ch., Sh.).
 *
 * A unit is one name as people think of it: "Abdul Rehman" and "Ghulam
 * Mustafa" are single units (their first word is never a name on its own
 * here, so a written name splits into units in one way only). Spellings of
 * different units never coincide (generator.test.ts checks), so the ground
 * truth "same name" is unambiguous.
 *
 * Written for the generator only and kept independent of the name matcher
 * (registries/names), which is measured against these variants.
 */

export type UnitKind = 'male' | 'maleComposite' | 'female' | 'femaleSecond' | 'clan';

export interface NameUnit {
  id: number;
  kind: UnitKind;
  /** forms[0]: the most common spelling; then the other Roman spellings of the same name. */
  forms: string[];
  urdu: string;
  /** Abbreviations an officer or clerk writes (Mohd, Ch.). */
  abbr: string[];
  /** Relative frequency. */
  weight: number;
  /** Clans that also come before the name (Syed Ali Raza, Ch. Muhammad Aslam, Rana Tanveer). */
  prefix: boolean;
}

// en|urdu|variants|abbreviations|weight   (variants and abbreviations comma-separated)
const MALE = `
Muhammad|محمد|Mohammad,Muhammed,Mohammed,Mohamad|Mohd,Muhd,M.|0
Ahmed|احمد|Ahmad||9
Ali|علی|||12
Hassan|حسن|Hasan||7
Hussain|حسین|Husain,Hussein,Hussian||7
Usman|عثمان|Osman,Usmaan,Othman||7
Umar|عمر|Umer,Omar,Omer||6
Bilal|بلال|Belal||6
Imran|عمران|Imraan||6
Asif|آصف|Aasif,Asaf||6
Tariq|طارق|Tarik,Tarique,Tareq||6
Khalid|خالد|Khaled||5
Zahid|زاہد|Zahed||5
Shahid|شاہد|Shahed||5
Sajid|ساجد|Sajed||5
Waseem|وسیم|Wasim,Vaseem||5
Naveed|نوید|Navid,Naveid||5
Javed|جاوید|Javaid,Javeed,Jawed||5
Arshad|ارشد|||5
Aslam|اسلم|||6
Akram|اکرم|||5
Nadeem|ندیم|Nadim||5
Kashif|کاشف|Kashef||4
Faisal|فیصل|Faysal,Feisal||5
Irfan|عرفان|Erfan||5
Rizwan|رضوان|Rizwaan,Rezwan||5
Adnan|عدنان|Adnaan||4
Kamran|کامران|Kamraan||4
Zubair|زبیر|Zubayr,Zubeir||4
Yousaf|یوسف|Yusuf,Yousuf,Yousef,Yusaf||5
Ibrahim|ابراہیم|Ibraheem,Ebrahim||4
Ismail|اسماعیل|Ismaeel,Ismael||4
Iqbal|اقبال|Iqbaal||6
Rafiq|رفیق|Rafique,Rafeeq||5
Nawaz|نواز|Nawaaz||5
Sarwar|سرور|Sarwer||4
Younas|یونس|Younis,Yunus,Younus||4
Ilyas|الیاس|Ilyaas,Elias||4
Idrees|ادریس|Idris||3
Haroon|ہارون|Haroun,Harun||4
Shahzad|شہزاد|Shehzad,Shahzaad||5
Saleem|سلیم|Salim||5
Naeem|نعیم|Naim||4
Amjad|امجد|||4
Majid|ماجد|Majed||4
Abid|عابد|Abed||4
Rashid|راشد|Rashed||4
Hamid|حامد|Hamed||4
Sohail|سہیل|Suhail,Sohael||4
Fahad|فہد|Fahd||4
Hamza|حمزہ|Hamzah||5
Waqas|وقاص|Waqqas,Waqaas||4
Ahsan|احسن|||4
Mohsin|محسن|Muhsin||4
Mushtaq|مشتاق|Mushtaque||4
Ishfaq|اشفاق|Ishfaque||3
Zulfiqar|ذوالفقار|Zulfikar,Zulfiqaar||3
Afzal|افضل|||4
Anwar|انور|Anwer||4
Ashraf|اشرف|||5
Latif|لطیف|Lateef||4
Mansoor|منصور|Mansur,Mansour||4
Mumtaz|ممتاز|||3
Nasir|ناصر|Naser,Nasser||4
Qasim|قاسم|Kasim,Qassim||4
Shafiq|شفیق|Shafique,Shafeeq||4
Tanveer|تنویر|Tanvir,Tanweer||4
Zafar|ظفر|Zafer||4
Mehmood|محمود|Mahmood,Mahmud,Mehmud||5
Pervaiz|پرویز|Pervez,Parvez,Parvaiz||4
Riaz|ریاض|Riyaz||5
Ijaz|اعجاز|Ejaz,Eijaz||4
Fayyaz|فیاض|Fiaz,Fayaz||4
Imtiaz|امتیاز|Imtiyaz||4
Ehsan|احسان|Ihsan||3
Mazhar|مظہر|||3
Azhar|اظہر|||3
Asghar|اصغر|Asgher||4
Akbar|اکبر|||4
Safdar|صفدر|||3
Sikandar|سکندر|Sikander||3
Jamshed|جمشید|Jamshaid,Jamshid||3
Tahir|طاہر|Taher||4
Sabir|صابر|Saber||3
Nazir|نذیر|Nazeer||4
Bashir|بشیر|Basheer||4
Rasheed|رشید|||3
Hameed|حمید|||3
Shakeel|شکیل|Shakil||3
Jameel|جمیل|Jamil||3
Khurram|خرم|Khuram||3
Shoaib|شعیب|Shuaib,Shoaeb||4
Junaid|جنید|Junaed,Junayd||4
Owais|اویس|Awais,Uwais||4
Talha|طلحہ|Talhah||3
Saad|سعد|||3
Danish|دانش|||3
Atif|عاطف|Aatif||3
Raza|رضا|||5
Abbas|عباس|||4
Haider|حیدر|Hyder,Haidar||4
Azam|اعظم|Aazam||4
Muneer|منیر|Munir||3
Zeeshan|ذیشان|Zishan,Zeshan||4
Noman|نعمان|Nouman,Numan||4
Arslan|ارسلان|||3
Abdullah|عبداللہ|Abdulla,Abdallah||4
Mustafa|مصطفیٰ|Mustafah,Mustapha||3
Shaukat|شوکت|Shoukat,Showkat||3
Sadiq|صادق|Sadiq,Saadiq||3
`;

const MALE_COMPOSITE = `
Abdul Rehman|عبدالرحمن|Abdur Rehman,Abdul Rahman,Abdur Rahman,Abdulrehman||5
Abdul Ghafoor|عبدالغفور|Abdul Ghafur,Abdulghafoor||3
Abdul Sattar|عبدالستار|Abdus Sattar,Abdul Satar||3
Abdul Majeed|عبدالمجید|Abdul Majid,Abdulmajeed||3
Abdul Qadir|عبدالقادر|Abdul Kadir,Abdulqadir||3
Abdul Aziz|عبدالعزیز|Abdul Azeez,Abdulaziz||3
Abdul Jabbar|عبدالجبار|Abdul Jabar||2
Abdul Razzaq|عبدالرزاق|Abdul Razaq,Abdul Razzak||3
Abdul Waheed|عبدالوحید|Abdul Wahid||3
Ghulam Mustafa|غلام مصطفیٰ|Ghulam Mustafah|Gh. Mustafa|3
Ghulam Rasool|غلام رسول|Ghulam Rasul|Gh. Rasool|3
Ghulam Abbas|غلام عباس||Gh. Abbas|2
Ghulam Murtaza|غلام مرتضیٰ|Ghulam Murtuza|Gh. Murtaza|2
Ghulam Hussain|غلام حسین|Ghulam Husain,Ghulam Hussein|Gh. Hussain|3
Ghulam Qadir|غلام قادر|Ghulam Kadir|Gh. Qadir|2
Allah Ditta|اللہ دتہ|Allah Dita,Allahditta||3
Allah Rakha|اللہ رکھا|Allah Rakhha,Allahrakha||2
Khuda Bakhsh|خدا بخش|Khuda Bux,Khuda Baksh,Khudabakhsh||2
Noor Muhammad|نور محمد|Noor Mohammad,Nur Muhammad,Noor Mohammed|Noor Mohd|3
Faiz Ahmed|فیض احمد|Faiz Ahmad||2
`;

const FEMALE = `
Fatima|فاطمہ|Fatimah,Fatema||8
Ayesha|عائشہ|Aisha,Aysha,Ayisha||8
Zainab|زینب|Zenab,Zaynab||6
Khadija|خدیجہ|Khadijah,Khadeeja||5
Maryam|مریم|Mariam,Mariyam||6
Amina|آمنہ|Aamna,Amna,Aamina||5
Nasreen|نسرین|Nasrin||5
Shazia|شازیہ|Shaziya||5
Rubina|روبینہ|Robina||4
Samina|ثمینہ|Sameena||4
Saima|صائمہ|Saimah||5
Sadia|سعدیہ|Saadia,Sadiya||5
Asma|اسماء|Asmaa||5
Hina|حنا|Hinna||5
Nadia|نادیہ|Nadiya||4
Iqra|اقراء|Iqraa||5
Sana|ثناء|Sanaa||5
Rabia|رابعہ|Rabiya,Rabiah||5
Bushra|بشریٰ|||4
Sobia|صوبیہ|Sobiya||3
Farzana|فرزانہ|||4
Shabana|شبانہ|||4
Naseem|نسیم|Nasim||4
Sughra|صغریٰ|Sughran,Soghra||3
Kulsoom|کلثوم|Kulsum,Kalsoom||3
Razia|رضیہ|Raziya||4
Zubaida|زبیدہ|Zubeda||3
Tahira|طاہرہ|Tahirah||4
Uzma|عظمیٰ|||4
Mehwish|مہوش|Mahwish||3
Ambreen|عنبرین|Ambrin||3
Saba|صبا|||3
Aqsa|اقصیٰ|Aqsah||4
Noreen|نورین|Nureen,Noorin||3
Sidra|سدرہ|Sidrah||4
Nabila|نبیلہ|Nabeela||3
Shaista|شائستہ|Shaesta||3
Rukhsana|رخسانہ|||3
Zahida|زاہدہ|||3
Ghazala|غزالہ|||3
Yasmeen|یاسمین|Yasmin,Yasmine||4
Shamim|شمیم|Shameem||3
Musarrat|مسرت|Musarat||3
Hajra|ہاجرہ|Hajira,Hajrah||3
`;

const FEMALE_SECOND = `
Bibi|بی بی|Bi Bi,Beebi||10
Begum|بیگم|Begam||6
Bano|بانو|Banu||5
Parveen|پروین|Perveen,Parvin||6
Akhtar|اختر|Akhter||6
Sultana|سلطانہ|||3
Khatoon|خاتون|Khatun||3
Kausar|کوثر|Kousar,Kauser||4
Jabeen|جبیں|Jabin||2
Naz|ناز|||2
Batool|بتول|Batul||3
`;

// Clans: en|urdu|variants|abbr|weight|prefix(1 when it also comes before the name)
const CLAN = `
Khan|خان|||10|0
Butt|بٹ|||7|0
Chaudhry|چوہدری|Chaudhary,Chaudhri,Choudhry,Chaudry|Ch.|7|1
Malik|ملک|||8|1
Qureshi|قریشی|Qureshy,Quraishi,Qurashi||5|0
Sheikh|شیخ|Shaikh,Shaykh|Sh.|6|1
Awan|اعوان|||5|0
Gondal|گوندل|||3|0
Rajput|راجپوت|||4|0
Jutt|جٹ|Jatt,Jat||4|0
Syed|سید|Sayed,Sayyid,Saiyed,Syyed||6|1
Abbasi|عباسی|||3|0
Mirza|مرزا|||3|1
Bhatti|بھٹی|Bhati||5|0
Cheema|چیمہ|Chima||4|0
Warraich|وڑائچ|Waraich,Warriach||3|0
Bajwa|باجوہ|||3|0
Virk|ورک|||2|0
Gill|گل|||3|0
Tarar|تارڑ|||2|0
Ansari|انصاری|||3|0
Siddiqui|صدیقی|Siddiqi,Siddiquee||3|0
Hashmi|ہاشمی|Hashimi||3|0
Gilani|گیلانی|Gillani,Jilani||2|0
Bukhari|بخاری|Bokhari||3|0
Naqvi|نقوی|Naqavi||3|0
Kazmi|کاظمی|Kazimi||2|0
Zaidi|زیدی|||2|0
Khokhar|کھوکھر|||3|0
Arain|آرائیں|Araeen,Arayen||4|0
Mughal|مغل|Moghal||4|0
Kayani|کیانی|Kiani,Kiyani||3|0
Janjua|جنجوعہ|||2|0
Minhas|منہاس|||2|0
Niazi|نیازی|||3|0
Lodhi|لودھی|Lodi||2|0
Dogar|ڈوگر|||2|0
Rana|رانا|||5|1
Shah|شاہ|||5|0
Baig|بیگ|Beg||3|0
Sandhu|سندھو|||2|0
Ghuman|گھمن|Ghumman||2|0
Chattha|چٹھہ|Chatha||2|0
Sial|سیال|||2|0
Randhawa|رندھاوا|||2|0
Mian|میاں|||3|1
`;

const list = (s: string | undefined): string[] =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export const UNITS: NameUnit[] = [];

function load(block: string, kind: UnitKind): NameUnit[] {
  const out: NameUnit[] = [];
  for (const line of block.split('\n')) {
    if (!line.trim()) continue;
    const [en, urdu, variants, abbr, weight, prefix] = line.split('|');
    // A variant equal to the main spelling (a slip in the table) is dropped rather than duplicated.
    const forms = [en, ...list(variants).filter((v) => v !== en)];
    const unit: NameUnit = { id: UNITS.length, kind, forms, urdu: urdu, abbr: list(abbr), weight: Number(weight ?? '1'), prefix: prefix === '1' };
    UNITS.push(unit);
    out.push(unit);
  }
  return out;
}

export const MALE_UNITS = load(MALE, 'male');
export const MALE_COMPOSITE_UNITS = load(MALE_COMPOSITE, 'maleComposite');
export const FEMALE_UNITS = load(FEMALE, 'female');
export const FEMALE_SECOND_UNITS = load(FEMALE_SECOND, 'femaleSecond');
export const CLAN_UNITS = load(CLAN, 'clan');
/** "Muhammad", the prefix of so many men's names. */
export const MUHAMMAD = MALE_UNITS[0];
/** Given names a man's name is built from (Muhammad excluded: it is a prefix). */
export const MALE_GIVEN = MALE_UNITS.slice(1);

/** Foreign nationals (Foreigners Registration Office): given names and surnames by nationality. */
export const FOREIGN: { code: string; weight: number; given: string[]; surnames: string[]; passportPrefix: string; visas: string[] }[] = [
  {
    code: 'AFG',
    weight: 50,
    given: [
      'Naqibullah',
      'Rahmatullah',
      'Zabihullah',
      'Hamidullah',
      'Noorullah',
      'Mirwais',
      'Gul Agha',
      'Abdul Wali',
      'Shafiqullah',
      'Farida',
      'Zarmina',
      'Malalai',
      'Nazifa',
    ],
    surnames: ['Durrani', 'Popalzai', 'Achakzai', 'Safi', 'Mohmand', 'Wardak', 'Ahmadzai', 'Noorzai', 'Shinwari', 'Khan'],
    passportPrefix: 'P',
    visas: ['PoR', 'PoR', 'Family Visit', 'Work', 'Study'],
  },
  {
    code: 'CHN',
    weight: 20,
    given: ['Wei', 'Jun', 'Lei', 'Ming', 'Hao', 'Yan', 'Jing', 'Fang', 'Xiu', 'Tao'],
    surnames: ['Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Zhao', 'Huang', 'Zhou', 'Wu'],
    passportPrefix: 'E',
    visas: ['Work', 'Work', 'Business'],
  },
  {
    code: 'IRN',
    weight: 6,
    given: ['Reza', 'Mehdi', 'Hossein', 'Amir', 'Saeed', 'Zahra', 'Fatemeh', 'Narges'],
    surnames: ['Ahmadi', 'Hosseini', 'Rezaei', 'Karimi', 'Mohammadi', 'Moradi', 'Jafari', 'Rahimi'],
    passportPrefix: 'K',
    visas: ['Tourist', 'Business', 'Family Visit'],
  },
  {
    code: 'GBR',
    weight: 7,
    given: ['James', 'Oliver', 'Mohammed', 'Sarah', 'Emily', 'Daniel', 'Imran', 'Aisha'],
    surnames: ['Smith', 'Jones', 'Taylor', 'Brown', 'Hussain', 'Khan', 'Williams', 'Patel'],
    passportPrefix: '5',
    visas: ['Family Visit', 'Tourist', 'Business'],
  },
  {
    code: 'USA',
    weight: 4,
    given: ['John', 'Michael', 'David', 'Jennifer', 'Ali', 'Jessica'],
    surnames: ['Johnson', 'Miller', 'Davis', 'Garcia', 'Wilson', 'Ahmed'],
    passportPrefix: '6',
    visas: ['Business', 'Tourist', 'Family Visit'],
  },
  {
    code: 'TUR',
    weight: 4,
    given: ['Mehmet', 'Ahmet', 'Mustafa', 'Emre', 'Zeynep', 'Elif'],
    surnames: ['Yilmaz', 'Kaya', 'Demir', 'Sahin', 'Celik', 'Ozturk'],
    passportPrefix: 'U',
    visas: ['Work', 'Business'],
  },
  {
    code: 'BGD',
    weight: 3,
    given: ['Abdul Karim', 'Rahim', 'Shakil', 'Nusrat', 'Tanvir'],
    surnames: ['Rahman', 'Hossain', 'Islam', 'Uddin', 'Chowdhury'],
    passportPrefix: 'A',
    visas: ['Work', 'Study'],
  },
  {
    code: 'LKA',
    weight: 2,
    given: ['Nuwan', 'Kasun', 'Dilshan', 'Chamari', 'Tharindu'],
    surnames: ['Perera', 'Fernando', 'Silva', 'Jayasuriya', 'Bandara'],
    passportPrefix: 'N',
    visas: ['Work', 'Business'],
  },
  {
    code: 'SAU',
    weight: 2,
    given: ['Abdullah', 'Faisal', 'Khalid', 'Saud', 'Noura'],
    surnames: ['Al-Harbi', 'Al-Otaibi', 'Al-Qahtani', 'Al-Zahrani', 'Al-Ghamdi'],
    passportPrefix: 'F',
    visas: ['Business', 'Tourist'],
  },
  {
    code: 'ARE',
    weight: 2,
    given: ['Mohammed', 'Rashid', 'Hamdan', 'Mariam', 'Sultan'],
    surnames: ['Al-Mansouri', 'Al-Nuaimi', 'Al-Shamsi', 'Al-Marzouqi', 'Al-Ketbi'],
    passportPrefix: 'X',
    visas: ['Business', 'Tourist'],
  },
];
