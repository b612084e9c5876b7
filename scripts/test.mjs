#!/usr/bin/env node
/**
 * Runs every test with Node's test runner (through tsx):
 *   packages/<pkg>/src/**\/*.test.ts   unit and HTTP tests beside their code
 *   packages/server/test/**\/*.test.ts cross-cutting tests (fuzz, architecture)
 *   packages/console/test/**\/*.browser.test.ts  the console in real headless Chromium
 * Engines: PGlite by default; PostgreSQL when KOTWAL_TEST_DATABASE_URL is set;
 * NATS JetStream when KOTWAL_TEST_NATS_URL is set.
 * Options: --browser (browser tests only), --no-browser, any other argument
 * filters files by substring.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const onlyBrowser = args.includes('--browser');
const noBrowser = args.includes('--no-browser');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(path.relative(root, p));
  }
  return out;
}

let files = walk(path.join(root, 'packages')).sort();
const isBrowser = (f) => f.endsWith('.browser.test.ts');
if (onlyBrowser) files = files.filter(isBrowser);
if (noBrowser) files = files.filter((f) => !isBrowser(f));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));

const chromium = process.env.KOTWAL_CHROMIUM ?? '/usr/bin/chromium';
if (files.some(isBrowser) && !existsSync(chromium) && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
  // Fresh Debian machine, run as root: install the browser the tests drive.
  console.log('installing Debian chromium for the browser tests (apt-get)...');
  const run = (cmd, cmdArgs) =>
    new Promise((r) => spawn(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).on('exit', r));
  if ((await run('apt-get', ['update', '-qq'])) === 0) await run('apt-get', ['install', '-y', '-qq', 'chromium']);
}
if (files.some(isBrowser) && !existsSync(chromium)) {
  if (process.env.KOTWAL_REQUIRE_BROWSER === '1') {
    console.error(`browser tests need Chromium at ${chromium} (apt-get install chromium); KOTWAL_REQUIRE_BROWSER=1 makes this an error`);
    process.exit(1);
  }
  console.warn(`NOTE: ${chromium} not found: browser tests are SKIPPED, not passed (apt-get install chromium to run them)`);
  files = files.filter((f) => !isBrowser(f));
}

if (files.some(isBrowser) && !existsSync(path.join(root, 'packages/console/dist/index.html'))) {
  console.log('building the console for the browser tests...');
  const b = spawn('npm', ['run', 'build', '-w', '@kotwal/console'], { cwd: root, stdio: 'inherit' });
  const code = await new Promise((r) => b.on('exit', r));
  if (code !== 0) process.exit(code ?? 1);
}

console.log(
  `running ${files.length} test files on ${process.env.KOTWAL_TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite'}` +
    `${process.env.KOTWAL_TEST_NATS_URL ? ' with NATS JetStream' : ' with the in-process bus'}`,
);
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.KOTWAL_TEST_CONCURRENCY ?? '2'}`, '--test-timeout=300000', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
