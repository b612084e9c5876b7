/**
 * Punjab districts for the synthetic population: the NADRA code(s) of
 * registration (3 = Punjab, then division, district, tehsil, union council:
 * 35202 Lahore, 34101 Gujranwala, 33100 Faisalabad ...; best-known codes,
 * not an official table), localities in Roman and Urdu script, tehsils and
 * mauzas (land records), police stations (FIR numbers), the Excise vehicle
 * series (LEA-19-1234; old style LHR-1234) and the FBR tax office.
 */

export interface District {
  index: number;
  name: string;
  urdu: string;
  /** NADRA district/tehsil codes of registration, the first the most common. */
  codes: string[];
  /** Relative population. */
  weight: number;
  tehsils: string[];
  /** [Roman, Urdu] */
  localities: [string, string][];
  mauzas: string[];
  stations: string[];
  /** Old-style plates (no year): LHR-1234. */
  oldPlates: string[];
  /** New-style series: two letters and a running letter (LEA, LEB ... LEZ) with the year: LEA-19-1234. */
  series: string;
  taxOffice: string;
  /** Short code used in FIR and parcel numbers. */
  short: string;
}

type Raw = Omit<District, 'index' | 'localities'> & { localities: string };

const RAW: Raw[] = [
  {
    name: 'Lahore',
    urdu: 'لاہور',
    codes: ['35202', '35202', '35202', '35201', '35200'],
    weight: 13,
    tehsils: ['Lahore City', 'Lahore Cantt', 'Model Town', 'Raiwind', 'Shalimar', 'Wagah', 'Allama Iqbal Town'],
    localities:
      'Model Town:ماڈل ٹاؤن;Gulberg:گلبرگ;Johar Town:جوہر ٹاؤن;Allama Iqbal Town:علامہ اقبال ٹاؤن;Samanabad:سمن آباد;Shadman:شادمان;Ichhra:اچھرہ;Mozang:مزنگ;Anarkali:انارکلی;Shahdara:شاہدرہ;Baghbanpura:باغبانپورہ;Garhi Shahu:گڑھی شاہو;Township:ٹاؤن شپ;Green Town:گرین ٹاؤن;Wapda Town:واپڈا ٹاؤن;Faisal Town:فیصل ٹاؤن;Sabzazar:سبزہ زار;Bhati Gate:بھاٹی گیٹ;Misri Shah:مصری شاہ;DHA Phase 5:ڈی ایچ اے فیز 5;Cantt:کینٹ;Harbanspura:ہربنس پورہ;Mughalpura:مغلپورہ;Walton:والٹن;Kot Lakhpat:کوٹ لکھپت',
    mauzas: ['Kahna Nau', 'Lidhar', 'Manga', 'Chung', 'Bhaseen', 'Jallo', 'Niaz Baig', 'Halloki', 'Bhobatian', 'Dial Singh'],
    stations: [
      'Model Town',
      'Gulberg',
      'Township',
      'Iqbal Town',
      'Johar Town',
      'Shadman',
      'Ichhra',
      'Mozang',
      'Anarkali',
      'Shahdara',
      'Race Course',
      'Garden Town',
      'Defence A',
      'Kahna',
      'Raiwind',
      'Nishtar Colony',
      'Green Town',
      'Sabzazar',
      'Baghbanpura',
      'Harbanspura',
      'Lytton Road',
      'Mughalpura',
      'Factory Area',
      'Nawab Town',
    ],
    oldPlates: ['LHR', 'LOA', 'LOB', 'LOC', 'LOX', 'LRA', 'LRB', 'LZK'],
    series: 'LE',
    taxOffice: 'RTO Lahore',
    short: 'LHR',
  },
  {
    name: 'Faisalabad',
    urdu: 'فیصل آباد',
    codes: ['33100', '33100', '33102', '33104'],
    weight: 9,
    tehsils: ['Faisalabad City', 'Faisalabad Saddar', 'Jaranwala', 'Samundri', 'Chak Jhumra', 'Tandlianwala'],
    localities:
      'Peoples Colony:پیپلز کالونی;Madina Town:مدینہ ٹاؤن;Gulberg:گلبرگ;Jinnah Colony:جناح کالونی;Samanabad:سمن آباد;Ghulam Muhammad Abad:غلام محمد آباد;Millat Town:ملت ٹاؤن;D Ground:ڈی گراؤنڈ;Susan Road:سوسن روڈ;Batala Colony:بٹالہ کالونی;Jaranwala:جڑانوالہ;Samundri:سمندری',
    mauzas: ['Chak 208 RB', 'Chak 7 JB', 'Chak 103 RB', 'Chak 225 RB', 'Chak 66 JB', 'Chak 42 GB', 'Chak 118 JB', 'Chak 240 RB'],
    stations: [
      'Civil Lines',
      'Peoples Colony',
      'Madina Town',
      'Batala Colony',
      'Ghulam Muhammad Abad',
      'Samanabad',
      'Jaranwala City',
      'Samundri',
      'Sargodha Road',
      'Millat Town',
    ],
    oldPlates: ['FSD', 'FDB', 'FDC'],
    series: 'FD',
    taxOffice: 'RTO Faisalabad',
    short: 'FSD',
  },
  {
    name: 'Rawalpindi',
    urdu: 'راولپنڈی',
    codes: ['37405', '37405', '37406', '37401'],
    weight: 6,
    tehsils: ['Rawalpindi', 'Gujar Khan', 'Kahuta', 'Murree', 'Taxila', 'Kotli Sattian'],
    localities:
      'Satellite Town:سیٹلائٹ ٹاؤن;Saddar:صدر;Raja Bazar:راجہ بازار;Committee Chowk:کمیٹی چوک;Chaklala:چکلالہ;Dhoke Ratta:ڈھوک رتہ;Westridge:ویسٹریج;Bahria Town:بحریہ ٹاؤن;Pirwadhai:پیرودھائی;Adiala:اڈیالہ;Gujar Khan:گوجر خان;Taxila:ٹیکسلا',
    mauzas: ['Adiala', 'Chak Beli Khan', 'Dhamial', 'Sihala', 'Mankiala', 'Daultala', 'Bagga Sheikhan', 'Jhika Gali'],
    stations: ['Saddar Bairooni', 'New Town', 'Waris Khan', 'Civil Lines', 'Airport', 'Pirwadhai', 'Ratta Amral', 'Westridge', 'Gujar Khan', 'Taxila'],
    oldPlates: ['RWP', 'RIR', 'RIM'],
    series: 'RI',
    taxOffice: 'RTO Rawalpindi',
    short: 'RWP',
  },
  {
    name: 'Gujranwala',
    urdu: 'گوجرانوالہ',
    codes: ['34101', '34101', '34104', '34102'],
    weight: 5,
    tehsils: ['Gujranwala City', 'Gujranwala Saddar', 'Kamoke', 'Nowshera Virkan', 'Wazirabad'],
    localities:
      'Satellite Town:سیٹلائٹ ٹاؤن;Model Town:ماڈل ٹاؤن;Peoples Colony:پیپلز کالونی;Gondlanwala:گوندلانوالہ;Khiali:کھیالی;Rahwali:راہوالی;Wapda Town:واپڈا ٹاؤن;Garden Town:گارڈن ٹاؤن;Kamoke:کامونکی;Wazirabad:وزیرآباد',
    mauzas: ['Eminabad', 'Kot Ladha', 'Qila Didar Singh', 'Aroop', 'Ladhewala Warraich', 'Ghakhar Mandi', 'Tatlay Aali'],
    stations: ['Civil Lines', 'Satellite Town', 'Peoples Colony', 'Khiali', 'Gondlanwala', 'Kamoke City', 'Wazirabad City', 'Qila Didar Singh', 'Eminabad'],
    oldPlates: ['GRW', 'GAR', 'GWN'],
    series: 'GA',
    taxOffice: 'RTO Gujranwala',
    short: 'GRW',
  },
  {
    name: 'Multan',
    urdu: 'ملتان',
    codes: ['36302', '36302', '36301', '36303'],
    weight: 5,
    tehsils: ['Multan City', 'Multan Saddar', 'Shujabad', 'Jalalpur Pirwala'],
    localities:
      'Gulgasht Colony:گلگشت کالونی;Shah Rukn-e-Alam Colony:شاہ رکن عالم کالونی;Cantt:کینٹ;Bosan Road:بوسن روڈ;Mumtazabad:ممتاز آباد;Hussain Agahi:حسین آگاہی;New Multan:نیو ملتان;Qasim Bela:قاسم بیلہ;Shujabad:شجاع آباد',
    mauzas: ['Basti Malook', 'Qadirpur Ran', 'Matital', 'Sher Shah', 'Bosan', 'Budhla Sant', 'Makhdoom Rashid'],
    stations: [
      'Cantt',
      'Gulgasht',
      'Mumtazabad',
      'Hussain Agahi',
      'Chehlyak',
      'Mozang',
      'Shah Rukn-e-Alam',
      'Bahauddin Zakariya',
      'Shujabad City',
      'Qadirpur Ran',
    ],
    oldPlates: ['MLN', 'MNR', 'MTN'],
    series: 'MN',
    taxOffice: 'RTO Multan',
    short: 'MLN',
  },
  {
    name: 'Sargodha',
    urdu: 'سرگودھا',
    codes: ['38403', '38403', '38401', '38405'],
    weight: 4,
    tehsils: ['Sargodha', 'Bhalwal', 'Shahpur', 'Sillanwali', 'Kot Momin', 'Sahiwal (Sargodha)'],
    localities:
      'Satellite Town:سیٹلائٹ ٹاؤن;Block 16:بلاک 16;University Road:یونیورسٹی روڈ;Faisal Colony:فیصل کالونی;Muslim Town:مسلم ٹاؤن;Bhalwal:بھلوال;Shahpur:شاہ پور;Kot Momin:کوٹ مومن',
    mauzas: ['Chak 45 SB', 'Chak 87 NB', 'Chak 101 SB', 'Chak 12 NB', 'Chak 71 SB', 'Chak 33 NB'],
    stations: ['Civil Lines', 'Satellite Town', 'Cantt', 'Urban Area', 'Bhalwal City', 'Shahpur Saddar', 'Kot Momin', 'Sillanwali'],
    oldPlates: ['SGD', 'SRG', 'SGR'],
    series: 'SG',
    taxOffice: 'RTO Sargodha',
    short: 'SGD',
  },
  {
    name: 'Sialkot',
    urdu: 'سیالکوٹ',
    codes: ['34603', '34603', '34601', '34602'],
    weight: 4,
    tehsils: ['Sialkot', 'Daska', 'Pasrur', 'Sambrial'],
    localities:
      'Cantt:کینٹ;Model Town:ماڈل ٹاؤن;Rangpura:رنگ پورہ;Pasrur Road:پسرور روڈ;Ugoki:اگوکی;Kashmir Road:کشمیر روڈ;Daska:ڈسکہ;Sambrial:سمبڑیال;Pasrur:پسرور',
    mauzas: ['Ugoki', 'Bhopalwala', 'Chawinda', 'Begowala', 'Motra', 'Kotli Loharan', 'Gohadpur'],
    stations: ['Cantt', 'Civil Lines', 'Rangpura', 'Ugoki', 'Daska City', 'Sambrial', 'Pasrur City', 'Motra', 'Hajipura'],
    oldPlates: ['SKT', 'SLK', 'SKL'],
    series: 'SK',
    taxOffice: 'RTO Sialkot',
    short: 'SKT',
  },
  {
    name: 'Bahawalpur',
    urdu: 'بہاولپور',
    codes: ['31202', '31202', '31201', '31203'],
    weight: 4,
    tehsils: ['Bahawalpur City', 'Bahawalpur Saddar', 'Ahmedpur East', 'Hasilpur', 'Yazman', 'Khairpur Tamewali'],
    localities:
      'Model Town A:ماڈل ٹاؤن اے;Satellite Town:سیٹلائٹ ٹاؤن;Baghdad-ul-Jadeed:بغداد الجدید;Farid Gate:فرید گیٹ;Shahi Bazar:شاہی بازار;Cantt:کینٹ;Ahmedpur East:احمد پور شرقیہ;Hasilpur:حاصل پور;Yazman:یزمان',
    mauzas: ['Chak 11 BC', 'Chak 24 DNB', 'Musafir Khana', 'Uch Sharif', 'Derawar', 'Lal Sohanra'],
    stations: ['Cantt', 'Baghdad-ul-Jadeed', 'Civil Lines', 'Model Town A', 'Satellite Town', 'Ahmedpur East City', 'Hasilpur City', 'Yazman'],
    oldPlates: ['BWP', 'BWR', 'BHP'],
    series: 'BW',
    taxOffice: 'RTO Bahawalpur',
    short: 'BWP',
  },
  {
    name: 'Dera Ghazi Khan',
    urdu: 'ڈیرہ غازی خان',
    codes: ['32102', '32102', '32103', '32101'],
    weight: 3,
    tehsils: ['Dera Ghazi Khan', 'Taunsa', 'Kot Chutta', 'Koh-e-Suleman'],
    localities:
      'Model Town:ماڈل ٹاؤن;Block 1:بلاک 1;Gadai:گدائی;Choti Zareen:چوٹی زیریں;Blocks Area:بلاکس ایریا;Taunsa:تونسہ;Kot Chutta:کوٹ چھٹہ;Sakhi Sarwar:سخی سرور',
    mauzas: ['Choti Zareen', 'Shadan Lund', 'Vehova', 'Sakhi Sarwar', 'Basti Buzdar', 'Mana Ahmadani'],
    stations: ['City', 'Civil Lines', 'Gadai', 'Saddar', 'Taunsa', 'Kot Chutta', 'Sakhi Sarwar', 'Choti Zareen'],
    oldPlates: ['DGK', 'DGH', 'DGR'],
    series: 'DG',
    taxOffice: 'RTO Multan',
    short: 'DGK',
  },
  {
    name: 'Sheikhupura',
    urdu: 'شیخوپورہ',
    codes: ['35404', '35404', '35401', '35402'],
    weight: 4,
    tehsils: ['Sheikhupura', 'Ferozewala', 'Muridke', 'Sharaqpur', 'Safdarabad'],
    localities: 'Housing Colony:ہاؤسنگ کالونی;Jinnah Park:جناح پارک;Sharif Park:شریف پارک;Muridke:مریدکے;Ferozewala:فیروزوالا;Sharaqpur:شرقپور',
    mauzas: ['Kot Abdul Malik', 'Narang Mandi', 'Farooqabad', 'Khanqah Dogran', 'Jandiala Sher Khan', 'Mananwala'],
    stations: ['City A Division', 'City B Division', 'Saddar', 'Muridke City', 'Ferozewala', 'Sharaqpur', 'Factory Area', 'Farooqabad'],
    oldPlates: ['SKP', 'SPR', 'SHK'],
    series: 'SP',
    taxOffice: 'RTO Lahore',
    short: 'SKP',
  },
  {
    name: 'Kasur',
    urdu: 'قصور',
    codes: ['35102', '35102', '35103', '35104'],
    weight: 4,
    tehsils: ['Kasur', 'Chunian', 'Pattoki', 'Kot Radha Kishan'],
    localities: 'Kot Azam Khan:کوٹ اعظم خان;Rohi Nala:روہی نالہ;Steel Bagh:سٹیل باغ;Chunian:چونیاں;Pattoki:پتوکی;Kot Radha Kishan:کوٹ رادھا کشن',
    mauzas: ['Khudian', 'Ganda Singh Wala', 'Mustafabad', 'Raja Jang', 'Allahabad', 'Phool Nagar'],
    stations: ['A Division', 'B Division', 'Saddar', 'Chunian City', 'Pattoki City', 'Kot Radha Kishan', 'Khudian', 'Mustafabad'],
    oldPlates: ['KSR', 'KSU', 'KSA'],
    series: 'KS',
    taxOffice: 'RTO Lahore',
    short: 'KSR',
  },
  {
    name: 'Okara',
    urdu: 'اوکاڑہ',
    codes: ['35302', '35302', '35301', '35303'],
    weight: 3,
    tehsils: ['Okara', 'Depalpur', 'Renala Khurd'],
    localities: 'Satghara Road:ستگھرہ روڈ;Ghalla Mandi:غلہ منڈی;Depalpur:دیپالپور;Renala Khurd:رینالہ خورد;Haveli Lakha:حویلی لکھا',
    mauzas: ['Chak 4/4L', 'Chak 10/1AL', 'Basirpur', 'Hujra Shah Muqeem', 'Haveli Lakha', 'Satghara'],
    stations: ['A Division', 'B Division', 'Saddar', 'Depalpur City', 'Renala Khurd', 'Haveli Lakha', 'Hujra Shah Muqeem'],
    oldPlates: ['OKR', 'OKA', 'OKB'],
    series: 'OK',
    taxOffice: 'RTO Sahiwal',
    short: 'OKR',
  },
  {
    name: 'Gujrat',
    urdu: 'گجرات',
    codes: ['34201', '34201', '34202', '34203'],
    weight: 3,
    tehsils: ['Gujrat', 'Kharian', 'Sarai Alamgir', 'Jalalpur Jattan'],
    localities:
      'Rehman Shaheed Road:رحمان شہید روڈ;Shadman Colony:شادمان کالونی;Bhimber Road:بھمبر روڈ;Kharian:کھاریاں;Lalamusa:لالہ موسیٰ;Jalalpur Jattan:جلالپور جٹاں',
    mauzas: ['Kunjah', 'Dinga', 'Guliana', 'Karianwala', 'Tanda', 'Shadiwal'],
    stations: ['Civil Lines', 'City', 'Saddar', 'Kharian City', 'Lalamusa', 'Dinga', 'Kunjah', 'Jalalpur Jattan'],
    oldPlates: ['GRT', 'GJT', 'GUJ'],
    series: 'GT',
    taxOffice: 'RTO Gujranwala',
    short: 'GRT',
  },
  {
    name: 'Jhelum',
    urdu: 'جہلم',
    codes: ['37301', '37301', '37302'],
    weight: 1.3,
    tehsils: ['Jhelum', 'Dina', 'Pind Dadan Khan', 'Sohawa'],
    localities: 'Civil Lines:سول لائنز;Machine Mohallah:مشین محلہ;Kala Gujran:کالا گجراں;Dina:دینہ;Pind Dadan Khan:پنڈ دادن خان',
    mauzas: ['Domeli', 'Sanghoi', 'Khewra', 'Jalalpur Sharif', 'Chak Jamal'],
    stations: ['City', 'Civil Lines', 'Saddar', 'Dina', 'Pind Dadan Khan', 'Sohawa'],
    oldPlates: ['JLM', 'JHL', 'JMA'],
    series: 'JM',
    taxOffice: 'RTO Rawalpindi',
    short: 'JLM',
  },
  {
    name: 'Sahiwal',
    urdu: 'ساہیوال',
    codes: ['36502', '36502', '36501'],
    weight: 2.5,
    tehsils: ['Sahiwal', 'Chichawatni'],
    localities: 'Farid Town:فرید ٹاؤن;Jahaz Ground:جہاز گراؤنڈ;Civil Lines:سول لائنز;Chichawatni:چیچہ وطنی;Harappa:ہڑپہ',
    mauzas: ['Chak 88/6R', 'Chak 112/9L', 'Harappa', 'Kassowal', 'Noorshah', 'Chak 45/12L'],
    stations: ['City', 'Farid Town', 'Saddar', 'Chichawatni City', 'Harappa', 'Noorshah'],
    oldPlates: ['SWL', 'SHW', 'SWA'],
    series: 'SW',
    taxOffice: 'RTO Sahiwal',
    short: 'SWL',
  },
  {
    name: 'Rahim Yar Khan',
    urdu: 'رحیم یار خان',
    codes: ['31303', '31303', '31304', '31301'],
    weight: 5,
    tehsils: ['Rahim Yar Khan', 'Sadiqabad', 'Khanpur', 'Liaquatpur'],
    localities: 'Model Town:ماڈل ٹاؤن;Abbasia Town:عباسیہ ٹاؤن;Shahi Road:شاہی روڈ;Sadiqabad:صادق آباد;Khanpur:خان پور;Liaquatpur:لیاقت پور',
    mauzas: ['Zahir Pir', 'Kot Sabzal', 'Bhong', 'Trinda', 'Feroza', 'Chak 97/P'],
    stations: ['City A Division', 'City B Division', 'Saddar', 'Sadiqabad City', 'Khanpur City', 'Liaquatpur', 'Kot Sabzal'],
    oldPlates: ['RYK', 'RYA', 'RYB'],
    series: 'RY',
    taxOffice: 'RTO Bahawalpur',
    short: 'RYK',
  },
  {
    name: 'Jhang',
    urdu: 'جھنگ',
    codes: ['33202', '33202', '33201', '33203'],
    weight: 3,
    tehsils: ['Jhang', 'Shorkot', 'Ahmadpur Sial', '18-Hazari'],
    localities: 'Jhang Sadar:جھنگ صدر;Satellite Town:سیٹلائٹ ٹاؤن;Yousaf Shah Road:یوسف شاہ روڈ;Shorkot:شورکوٹ;Ahmadpur Sial:احمد پور سیال',
    mauzas: ['Kot Shakir', 'Mochiwala', 'Garh Maharaja', 'Athara Hazari', 'Wasu Astana'],
    stations: ['Kotwali', 'Saddar', 'Satellite Town', 'Shorkot City', 'Ahmadpur Sial', 'Garh Maharaja'],
    oldPlates: ['JHG', 'JNG', 'JGA'],
    series: 'JG',
    taxOffice: 'RTO Faisalabad',
    short: 'JHG',
  },
  {
    name: 'Muzaffargarh',
    urdu: 'مظفرگڑھ',
    codes: ['32303', '32303', '32302', '32304'],
    weight: 4,
    tehsils: ['Muzaffargarh', 'Alipur', 'Jatoi', 'Kot Addu'],
    localities: 'Khanpur Road:خان پور روڈ;Jhang Road:جھنگ روڈ;Alipur:علی پور;Jatoi:جتوئی;Kot Addu:کوٹ ادو',
    mauzas: ['Rangpur', 'Sinawan', 'Khangarh', 'Daira Din Panah', 'Shehr Sultan', 'Basti Rindan'],
    stations: ['City', 'Civil Lines', 'Saddar', 'Kot Addu City', 'Alipur', 'Jatoi', 'Khangarh', 'Rangpur'],
    oldPlates: ['MZG', 'MZR', 'MGH'],
    series: 'MG',
    taxOffice: 'RTO Multan',
    short: 'MZG',
  },
];

export const DISTRICTS: District[] = RAW.map((r, index) => ({
  ...r,
  index,
  localities: r.localities.split(';').map((pair) => pair.split(':') as [string, string]),
}));

/** Ports of entry and exit (immigration). */
export const IMMIGRATION_PORTS = [
  'Allama Iqbal International Airport, Lahore',
  'Allama Iqbal International Airport, Lahore',
  'Allama Iqbal International Airport, Lahore',
  'Islamabad International Airport',
  'Islamabad International Airport',
  'Jinnah International Airport, Karachi',
  'Multan International Airport',
  'Faisalabad International Airport',
  'Sialkot International Airport',
  'Wagah Border',
  'Torkham Border',
  'Taftan Border',
];

/** Customs collectorates and the ports they clear. */
export const CUSTOMS_PORTS: { code: string; port: string }[] = [
  { code: 'KAPW', port: 'Karachi Port (West Wharf)' },
  { code: 'KAPE', port: 'Karachi Port (East Wharf)' },
  { code: 'KPQI', port: 'Port Qasim, Karachi' },
  { code: 'LDPI', port: 'Lahore Dry Port (Mughalpura)' },
  { code: 'LAIA', port: 'Allama Iqbal International Airport, Lahore' },
  { code: 'SDPS', port: 'Sialkot Dry Port (Sambrial)' },
  { code: 'FDPI', port: 'Faisalabad Dry Port' },
  { code: 'MDPI', port: 'Multan Dry Port' },
  { code: 'WAGB', port: 'Wagah Border' },
];
