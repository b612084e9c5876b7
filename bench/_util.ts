/** Small helpers shared by the benchmarks. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')).join('\n');
}

/** Engines to run on: PGlite always, PostgreSQL when the runner found one. */
export function engines(): { name: string; url: string | null }[] {
  const pg = process.env['KOTWAL_BENCH_DATABASE_URL'];
  return [{ name: 'PGlite', url: null }, ...(pg ? [{ name: 'PostgreSQL', url: pg }] : [])];
}
