/**
 * Runs `kotwal ...` for CLI tests. In-process by default: the real program
 * (main.ts: the same commands, option parsing, error handling and exit codes)
 * with the configuration variables of `env` only, and with what the command
 * writes on stdout/stderr captured. A spawned process costs seconds of module
 * loading each time on this 2-core machine; one spawn per CLI test file
 * (`spawnKotwal`) still proves the binary itself.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CONFIG_VARIABLES } from '#core/config/index.ts';
import { main } from '../src/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
export const KOTWAL_BIN = path.join(ROOT, 'packages/server/bin/kotwal.mjs');

/** Variables the CLI reads besides CONFIG_VARIABLES. */
const OTHER_VARS = ['KOTWAL_CONFIG', 'KOTWAL_TOKEN'];

let running = false;

/** Runs the kotwal program in this process with exactly `env` as its configuration; one at a time. */
export async function runKotwal(args: readonly string[], env: Record<string, string> = {}, opts: { cwd?: string } = {}): Promise<CliRun> {
  if (running) throw new Error('runKotwal: one command at a time (it swaps process-wide state)');
  running = true;
  const names = [...new Set([...CONFIG_VARIABLES.map((v) => v.env), ...OTHER_VARS, ...Object.keys(env)])];
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const n of names) {
    if (env[n] === undefined) delete process.env[n];
    else process.env[n] = env[n];
  }
  if (env['LOG_LEVEL'] === undefined) process.env['LOG_LEVEL'] = 'silent';
  const cwd = process.cwd();
  if (opts.cwd) process.chdir(opts.cwd);
  let stdout = '';
  let stderr = '';
  const outWrite = process.stdout.write.bind(process.stdout);
  const errWrite = process.stderr.write.bind(process.stderr);
  // Only text is captured: the test runner's own reports to its parent are binary.
  process.stdout.write = (chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') {
      stdout += chunk;
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }
    return (outWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  };
  process.stderr.write = (chunk: unknown, ...rest: unknown[]) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  const savedExit = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'kotwal', ...args]);
    const code = process.exitCode ?? 0;
    return { code: typeof code === 'number' ? code : Number(code), stdout, stderr };
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    process.exitCode = savedExit;
    if (opts.cwd) process.chdir(cwd);
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    running = false;
  }
}

/** Runs the real `kotwal` binary as a child process (once per CLI test file: the rest run in-process). */
export function spawnKotwal(args: readonly string[], env: Record<string, string> = {}, opts: { cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KOTWAL_BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'silent', NODE_NO_WARNINGS: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
