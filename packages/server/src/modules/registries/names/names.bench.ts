/**
 * Micro-benchmark of the name matcher (figures only, not a test):
 *   npx tsx packages/server/src/modules/registries/names/names.bench.ts
 * Prints names/s for tokenize and nameKeys (run once per imported person and
 * name), and the time of compareNames over 1,000 candidates (one search page).
 */
import { compareNames, nameKeys, tokenize } from './index.ts';

const GIVEN = [
  'Muhammad',
  'Mohammad',
  'Ahmed',
  'Ali',
  'Hussain',
  'Fatima',
  'Ayesha',
  'Zainab',
  'Abdul Rehman',
  'Ghulam',
  'Javed',
  'Tariq',
  'Rizwan',
  'Yousaf',
  'Usman',
  'Iqbal',
  'Bibi',
];
const FAMILY = ['Khan', 'Chaudhry', 'Qureshi', 'Malik', 'Butt', 'Syed', 'Sheikh', 'Awan', 'Mirza', 'Siddiqui'];
const URDU = [
  'محمد',
  'احمد',
  'علی',
  'حسین',
  'فاطمہ',
  'عائشہ',
  'زینب',
  'عبدالرحمن',
  'غلام',
  'جاوید',
  'طارق',
  'رضوان',
  'یوسف',
  'عثمان',
  'اقبال',
  'خان',
  'چودھری',
  'قریشی',
  'ملک',
];

function pick<T>(a: T[], i: number): T {
  return a[i % a.length];
}

const N = 20_000;
const roman: string[] = [];
const urdu: string[] = [];
for (let i = 0; i < N; i++) {
  roman.push(`${pick(GIVEN, i * 7)} ${pick(GIVEN, i * 13 + 3)} ${pick(FAMILY, i * 5)}`);
  urdu.push(`${pick(URDU, i * 7)} ${pick(URDU, i * 11 + 1)} ${pick(URDU, i * 3 + 2)}`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Wall-clock and CPU-time rates: on a shared, loaded machine the CPU-time figure is the one that tells the cost. */
function rate(label: string, names: string[], fn: (s: string) => unknown, rounds: number): void {
  for (const n of names.slice(0, 2000)) fn(n); // warm up
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const n of names) fn(n);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const count = names.length * rounds;
  console.log(`${label.padEnd(36)} ${fmt(count / s)} names/s wall, ${fmt(count / cpu)} names/s of CPU time`);
}

rate('tokenize, Roman (3 tokens)', roman, tokenize, 10);
rate('nameKeys, Roman (3 tokens)', roman, nameKeys, 10);
rate('nameKeys, Urdu (3 tokens)', urdu, nameKeys, 10);
rate(
  'nameKeys, Roman and Urdu together',
  roman.map((r, i) => r + ' ' + urdu[i]),
  nameKeys,
  5,
);

const candidates = roman.slice(0, 1000).map((r, i) => ({ roman: r, urdu: urdu[i] }));
const queries = ['Mohd Ali Khan', 'محمد علی خان', 'Fatima Bibi', 'Abdur Rahman Qureshi'];
for (const q of queries) for (const c of candidates) compareNames(q, c); // warm up
for (const q of queries) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const rounds = 20;
  for (let r = 0; r < rounds; r++) for (const c of candidates) compareNames(q, c);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1e3 / rounds;
  console.log(`compareNames "${q}" over 1,000 candidates: ${ms.toFixed(2)} ms wall, ${cpuMs.toFixed(2)} ms CPU`);
}
