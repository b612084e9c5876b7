/**
 * Shared by the console's browser tests: the built console, headless
 * Chromium, TOTP codes, and small waits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import * as OTPAuth from 'otpauth';

export const consoleDir = path.resolve(import.meta.dirname, '..');
const distIndex = path.join(consoleDir, 'dist', 'index.html');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * Builds the console when dist/ is missing or older than its sources, so the
 * tests always drive the code under test. A lock directory keeps two test
 * files from building at once.
 */
export async function ensureConsoleBuilt(): Promise<void> {
  const sources = [path.join(consoleDir, 'src'), path.join(consoleDir, 'index.html'), path.join(consoleDir, 'vite.config.ts')];
  const stale = () =>
    !existsSync(distIndex) || sources.some((s) => (statSync(s).isDirectory() ? newestMtime(s) : statSync(s).mtimeMs) > statSync(distIndex).mtimeMs);
  if (!stale()) return;
  const lock = path.join(consoleDir, '.build-lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 240) throw new Error(`console build lock ${lock} held for 2 minutes; remove it if no build is running`);
      await sleep(500);
    }
  }
  try {
    if (stale()) {
      execFileSync(process.execPath, [path.resolve(consoleDir, '../../node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
        cwd: consoleDir,
        stdio: 'inherit',
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export const chromiumPath = process.env['KOTWAL_CHROMIUM'] ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** The TOTP code an authenticator app shows, `offsetSteps` periods from now. */
export function totp(secretBase32: string, offsetSteps = 0): string {
  const t = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: 30 });
  return t.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collects what the page reports as wrong: console errors, uncaught exceptions, CSP violations. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // The browser logs every non-2xx fetch; expected 401/403 answers are part of the flows under test.
    if (/Failed to load resource: the server responded with a status of (401|403)/.test(text)) return;
    errors.push(`console: ${text}`);
  });
  return errors;
}

export const screenshotDir = process.env['KOTWAL_SCREENSHOT_DIR'] ?? '/tmp';
