/**
 * Reading an extract as a stream: bytes are counted and hashed as they
 * arrive, the encoding is found from the byte-order mark (UTF-8 with or
 * without one; UTF-16 LE/BE with one, transcoded), and rows come out one at a
 * time with the line where they start. Memory stays bounded by one row (a
 * row may not exceed MAX_ROW_BYTES), whatever the size of the file.
 *
 * A row the reader cannot use is yielded as a reject with its reason; the
 * file as a whole is refused (ImportInputError) when its header cannot be
 * placed, and fails (TruncatedError) when it ends in the middle of a row.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse';
import type { RegistryName } from '@kotwal/contracts';
import { ImportInputError, jsonKeyTarget, planColumns, type ColumnPlan, type Mapping } from './mapping.ts';

/** Largest row (CSV record or JSON line) read, in bytes. */
export const MAX_ROW_BYTES = 4 * 1024 * 1024;

export type SourceItem =
  | { kind: 'fields'; line: number; flat: Record<string, string> }
  | { kind: 'object'; line: number; value: Record<string, unknown> }
  | { kind: 'reject'; line: number; field: string | null; reason: string };

/** The file ends in the middle of a row: the extract was cut off. */
export class TruncatedError extends Error {
  override name = 'TruncatedError';
  constructor(readonly line: number) {
    super(`file ends mid-row at line ${line}: the extract is truncated`);
  }
}

export interface ReadStats {
  /** Bytes of the file read so far (as sent, before transcoding). */
  bytes: number;
  hash: Hash;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | null;
  /** Whether the last byte read (after transcoding) ends a line. */
  endsWithNewline: boolean;
}

export function newReadStats(): ReadStats {
  return { bytes: 0, hash: createHash('sha256'), encoding: null, endsWithNewline: true };
}

export interface DecodeOptions {
  maxBytes: number;
  onChunk?: (stats: ReadStats) => void;
}

const NL = 0x0a;
const CR = 0x0d;

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('the extract stream must yield bytes');
}

/**
 * Bytes of the file -> UTF-8 bytes, counting and hashing the original.
 * A UTF-8 BOM is dropped; UTF-16 with a BOM is transcoded; UTF-16 without
 * one (NUL bytes in the first characters) is refused with advice.
 */
export async function* decodeExtract(source: AsyncIterable<unknown>, stats: ReadStats, opts: DecodeOptions): AsyncGenerator<Buffer> {
  let head: Buffer | null = Buffer.alloc(0);
  const state: { decoder: TextDecoder | null } = { decoder: null };
  const emit = (b: Buffer): Buffer => {
    if (b.length) stats.endsWithNewline = b[b.length - 1] === NL || b[b.length - 1] === CR;
    return b;
  };
  const start = (buf: Buffer): Buffer => {
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      stats.encoding = 'utf-8';
      return buf.subarray(3);
    }
    if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
      stats.encoding = buf[0] === 0xff ? 'utf-16le' : 'utf-16be';
      state.decoder = new TextDecoder(stats.encoding, { fatal: false, ignoreBOM: true });
      return buf.subarray(2);
    }
    if (buf.length >= 2 && (buf[0] === 0 || buf[1] === 0))
      throw new ImportInputError('file', 'the file looks like UTF-16 without a byte-order mark: save it as UTF-8 (or UTF-16 with a byte-order mark)');
    stats.encoding = 'utf-8';
    return buf;
  };
  const convert = (buf: Buffer): Buffer => (state.decoder ? Buffer.from(state.decoder.decode(buf, { stream: true }), 'utf8') : buf);
  for await (const raw of source) {
    const chunk = asBuffer(raw);
    stats.bytes += chunk.length;
    if (stats.bytes > opts.maxBytes) throw new ImportInputError('file', `the file is larger than the limit of ${opts.maxBytes} bytes`);
    stats.hash.update(chunk);
    opts.onChunk?.(stats);
    let buf = chunk;
    if (head) {
      head = head.length ? Buffer.concat([head, chunk]) : chunk;
      if (head.length < 4) continue;
      buf = start(head);
      head = null;
    }
    const out = convert(buf);
    if (out.length) yield emit(out);
  }
  if (head && head.length) {
    const out = convert(start(head));
    if (out.length) yield emit(out);
  }
  if (state.decoder) {
    const tail = Buffer.from(state.decoder.decode(), 'utf8');
    if (tail.length) yield emit(tail);
  }
}

/** Why a cell's text cannot be stored, or null. */
function badText(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character';
  if (s.includes('\uFFFD')) return 'contains U+FFFD, the mark of a character lost in an earlier conversion (or of invalid UTF-16)';
  return null;
}

/** Line breaks inside a (quoted) cell: \r\n, \n and a lone \r each count once. */
function lineBreaks(buf: Buffer): number {
  let n = 0;
  let i = buf.indexOf(NL);
  while (i !== -1) {
    n++;
    i = buf.indexOf(NL, i + 1);
  }
  if (buf.includes(CR)) for (let j = 0; j < buf.length; j++) if (buf[j] === CR && buf[j + 1] !== NL) n++;
  return n;
}

function isBlank(cells: Buffer[]): boolean {
  return cells.length === 1 && cells[0].toString('latin1').trim() === '';
}

/**
 * CSV rows (RFC 4180 with a header line; quoted cells may hold delimiters,
 * quotes and line breaks). Blank lines are not rows. Each row is yielded
 * with the line where it starts.
 */
export async function* csvRows(decoded: AsyncIterable<Buffer>, registry: RegistryName, mapping: Mapping, stats: ReadStats): AsyncGenerator<SourceItem> {
  const parser = parse({
    encoding: null,
    bom: false,
    delimiter: mapping.delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_ROW_BYTES,
  });
  const src = Readable.from(decoded, { objectMode: false });
  src.on('error', (err) => parser.destroy(err));
  src.pipe(parser);

  let plan: ColumnPlan | null = null;
  let nextLine = 1;
  let pending: { cells: Buffer[]; line: number } | null = null;

  const handle = (cells: Buffer[], line: number, last: boolean): SourceItem | null => {
    if (isBlank(cells)) return null;
    if (!plan) {
      if (!cells.every((c) => isUtf8(c))) throw new ImportInputError('file', 'the header line is not valid UTF-8');
      plan = planColumns(
        registry,
        mapping,
        cells.map((c) => c.toString('utf8')),
      );
      return null;
    }
    const want = plan.targets.length;
    if (cells.length < want && last && !stats.endsWithNewline) throw new TruncatedError(line);
    if (cells.length !== want) return { kind: 'reject', line, field: null, reason: `the row has ${cells.length} cells, the header has ${want}` };
    const flat: Record<string, string> = {};
    for (let i = 0; i < want; i++) {
      const target = plan.targets[i];
      if (target === null) continue;
      const cell = cells[i];
      if (!isUtf8(cell))
        return {
          kind: 'reject',
          line,
          field: target,
          reason: `column "${plan.header[i]}" is not valid UTF-8 (the file must be UTF-8, or UTF-16 with a byte-order mark)`,
        };
      const text = cell.toString('utf8');
      const bad = badText(text);
      if (bad) return { kind: 'reject', line, field: target, reason: `column "${plan.header[i]}" ${bad}` };
      flat[target] = text;
    }
    for (const [field, value] of Object.entries(mapping.constants)) flat[field] = value;
    return { kind: 'fields', line, flat };
  };

  try {
    try {
      for await (const record of parser as AsyncIterable<Buffer[]>) {
        const line = nextLine;
        nextLine = line + 1 + record.reduce((n, c) => n + lineBreaks(c), 0);
        if (pending) {
          const item = handle(pending.cells, pending.line, false);
          if (item) yield item;
        }
        pending = { cells: record, line };
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'CSV_QUOTE_NOT_CLOSED' || code === 'CSV_MAX_RECORD_SIZE') {
        if (pending) {
          const item = handle(pending.cells, pending.line, false);
          pending = null;
          if (item) yield item;
        }
        if (code === 'CSV_QUOTE_NOT_CLOSED') throw new TruncatedError(nextLine);
        throw new ImportInputError('file', `the row at line ${nextLine} is longer than ${MAX_ROW_BYTES} bytes (is the delimiter or quoting right?)`);
      }
      throw err;
    }
    if (pending) {
      const item = handle(pending.cells, pending.line, true);
      if (item) yield item;
    }
    if (!plan) throw new ImportInputError('file', 'the file is empty: a CSV extract starts with a header line');
  } finally {
    src.destroy();
    parser.destroy();
  }
}

function findBadString(v: unknown): string | null {
  if (typeof v === 'string') return badText(v);
  if (Array.isArray(v)) {
    for (const x of v) {
      const b = findBadString(x);
      if (b) return b;
    }
    return null;
  }
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) {
      const b = findBadString(x);
      if (b) return b;
    }
  }
  return null;
}

/**
 * JSON Lines rows: one JSON object a line (\n or \r\n); blank lines are not
 * rows. Top-level keys go through the mapping like CSV columns.
 */
export async function* jsonlRows(decoded: AsyncIterable<Buffer>, registry: RegistryName, mapping: Mapping): AsyncGenerator<SourceItem> {
  let lineNo = 0;
  let rest: Buffer = Buffer.alloc(0);
  let skipping = false;
  const targets = new Map<string, string | null | undefined>();
  const targetOf = (k: string) => {
    if (!targets.has(k)) targets.set(k, jsonKeyTarget(registry, mapping, k));
    return targets.get(k);
  };

  const handle = (raw: Buffer, line: number, last: boolean): SourceItem | null => {
    let buf = raw;
    if (buf.length && buf[buf.length - 1] === CR) buf = buf.subarray(0, buf.length - 1);
    if (!isUtf8(buf))
      return { kind: 'reject', line, field: null, reason: 'the line is not valid UTF-8 (the file must be UTF-8, or UTF-16 with a byte-order mark)' };
    const text = buf.toString('utf8');
    if (text.trim() === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (last) throw new TruncatedError(line);
      return { kind: 'reject', line, field: null, reason: `the line is not valid JSON (${(err as Error).message.slice(0, 120)})` };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'reject', line, field: null, reason: 'a line must hold one JSON object' };
    const out: Record<string, unknown> = {};
    const from = new Map<string, string>();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const t = targetOf(k.trim());
      if (t === null) continue;
      const field = t ?? k;
      const prev = from.get(field);
      if (prev !== undefined) return { kind: 'reject', line, field, reason: `keys "${prev}" and "${k}" both fill ${field}` };
      from.set(field, k);
      const bad = findBadString(v);
      if (bad) return { kind: 'reject', line, field, reason: `key "${k}" ${bad}` };
      out[field] = v;
    }
    for (const [field, v] of Object.entries(mapping.constants)) if (out[field] === undefined) out[field] = v;
    return { kind: 'object', line, value: out };
  };

  for await (const chunk of decoded) {
    let start = 0;
    let nl = chunk.indexOf(NL);
    while (nl !== -1) {
      lineNo++;
      const piece = chunk.subarray(start, nl);
      if (skipping) {
        skipping = false;
        rest = Buffer.alloc(0);
        yield { kind: 'reject', line: lineNo, field: null, reason: `the line is longer than ${MAX_ROW_BYTES} bytes` };
      } else {
        const lineBuf = rest.length ? Buffer.concat([rest, piece]) : piece;
        rest = Buffer.alloc(0);
        const item = handle(lineBuf, lineNo, false);
        if (item) yield item;
      }
      start = nl + 1;
      nl = chunk.indexOf(NL, start);
    }
    if (!skipping && start < chunk.length) {
      rest = rest.length ? Buffer.concat([rest, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
      if (rest.length > MAX_ROW_BYTES) {
        skipping = true;
        rest = Buffer.alloc(0);
      }
    }
  }
  if (skipping) throw new TruncatedError(lineNo + 1);
  if (rest.length) {
    const item = handle(rest, lineNo + 1, true);
    if (item) yield item;
  }
}
