/**
 * The latest signed checkpoint, also kept as a file in the data dir
 * (`<data dir>/ledger/latest-checkpoint`, JSON in the Checkpoint API shape).
 * Someone who truncates the ledger tables and their checkpoints still leaves
 * this file behind, and verification compares it with the entries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Checkpoint } from '@kotwal/contracts';

export function checkpointFilePath(dataDir: string): string {
  return path.join(dataDir, 'ledger', 'latest-checkpoint');
}

export class CheckpointFileError extends Error {
  override name = 'CheckpointFileError';
}

function isCheckpoint(v: unknown): v is Checkpoint {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o['origin'] === 'string' &&
    typeof o['treeSize'] === 'number' &&
    Number.isSafeInteger(o['treeSize']) &&
    typeof o['rootHash'] === 'string' &&
    typeof o['timestamp'] === 'string' &&
    typeof o['body'] === 'string' &&
    typeof o['signature'] === 'string' &&
    typeof o['publicKey'] === 'string' &&
    typeof o['keyId'] === 'string'
  );
}

export function parseCheckpointJson(text: string, source: string): Checkpoint {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new CheckpointFileError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isCheckpoint(v)) throw new CheckpointFileError(`${source} does not hold a checkpoint`);
  return v;
}

/** The checkpoint in the file, or null when there is no file. */
export function readCheckpointFile(file: string): Checkpoint | null {
  if (!existsSync(file)) return null;
  return parseCheckpointJson(readFileSync(file, 'utf8'), file);
}

/**
 * Replaces the file atomically (write, fsync, rename) unless it already holds
 * a larger tree: the file only moves forward, so it keeps the evidence when
 * the database has been truncated.
 */
export async function writeCheckpointFile(file: string, cp: Checkpoint): Promise<boolean> {
  let current: Checkpoint | null;
  try {
    current = parseCheckpointJson(await readFile(file, 'utf8'), file);
  } catch {
    current = null; // missing or unreadable: replace it
  }
  if (current && current.treeSize > cp.treeSize) return false;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(`${JSON.stringify(cp, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  return true;
}
