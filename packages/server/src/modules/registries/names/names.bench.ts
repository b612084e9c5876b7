/**
 * Micro-benchmark of the name matcher (figures only, not a test):
 *   npx tsx packages/server/src/modules/registries/names/names.bench.ts
 * Prints names/s for tokenize and nameKeys (run once per imported person and
 * name), and the time of compareNames over 1,000 candidates (one search page).
 * Every name is distinct (a made-up middle word from its index), as in an
 * import of distinct persons. Each figure is the best of several runs. Wall-clock and CPU
 * time are both printed: on a shared, loaded machine the CPU figure tells the
 * cost.
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
const SYL = ['ba', 'ka', 'ra', 'di', 'mo', 'su', 'ze', 'na', 'ti', 'lo', 'ha', 'qu', 'sha', 'kh', 'gu', 'ja'];
const USYL = ['با', 'کا', 'را', 'دی', 'مو', 'سو', 'زے', 'نا', 'تی', 'لو', 'ہا', 'قو', 'شا', 'خ', 'گو', 'جا'];

function pick<T>(a: T[], i: number): T {
  return a[i % a.length];
}

function made(i: number, syl: string[]): string {
  let w = '';
  for (let n = i + 4096; n > 0; n = Math.floor(n / 16)) w += syl[n % 16];
  return w;
}

const N = 60_000;
const roman: string[] = [];
const urdu: string[] = [];
for (let i = 0; i < N; i++) {
  roman.push(`${pick(GIVEN, i * 7)} ${made(i, SYL)} ${pick(FAMILY, i * 5)}`);
  urdu.push(`${pick(URDU, i * 7)} ${made(i, USYL)} ${pick(URDU, i * 3 + 2)}`);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Best of 3 runs (the machine may be shared): names/s by wall clock and by CPU time. */
function rate(label: string, sets: string[][], fn: (s: string) => unknown): void {
  let bestWall = 0;
  let bestCpu = 0;
  for (const names of sets) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (const n of names) fn(n);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    bestWall = Math.max(bestWall, names.length / s);
    bestCpu = Math.max(bestCpu, names.length / cpu);
  }
  console.log(`${label.padEnd(36)} ${fmt(bestWall)} names/s wall, ${fmt(bestCpu)} names/s of CPU time`);
}

/** Three disjoint slices of 5,000 names from `from` on. */
function thirds(a: string[], from: number): string[][] {
  return [0, 1, 2].map((k) => a.slice(from + k * 5000, from + (k + 1) * 5000));
}

// warm up the JIT on names that are not measured
for (let i = 0; i < 3000; i++) nameKeys(`${pick(GIVEN, i)} ${made(N + i, SYL)} ${pick(URDU, i)}`);

rate('tokenize, Roman, distinct', thirds(roman, 0), tokenize);
rate('nameKeys, Roman, distinct', thirds(roman, 15_000), nameKeys);
rate('nameKeys, Urdu, distinct', thirds(urdu, 0), nameKeys);
rate(
  'nameKeys, Roman + Urdu, distinct',
  thirds(
    roman.map((r, i) => r + ' ' + urdu[i]),
    15_000,
  ),
  nameKeys,
);

const queries = ['Mohd Ali Khan', 'محمد علی خان', 'Fatima Bibi', 'Abdur Rahman Qureshi'];
for (const [k, q] of queries.entries()) {
  const from = 30_000 + k * 7_000;
  const cands = roman.slice(from, from + 7_000).map((r, i) => ({ roman: r, urdu: urdu[from + i] }));
  for (const c of cands.slice(0, 1000)) compareNames(q, c); // warm up
  let bestWall = Infinity;
  let bestCpu = Infinity;
  for (let run = 1; run < 7; run++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (const c of cands.slice(run * 1000, (run + 1) * 1000)) compareNames(q, c);
    const c = process.cpuUsage(c0);
    bestWall = Math.min(bestWall, Number(process.hrtime.bigint() - t0) / 1e6);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e3);
  }
  console.log(`compareNames "${q}" over 1,000 distinct candidates: ${bestWall.toFixed(2)} ms wall, ${bestCpu.toFixed(2)} ms CPU (best of 6)`);
}
