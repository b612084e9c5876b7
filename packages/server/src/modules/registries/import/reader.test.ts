import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fromFlat, validateRecord } from '../canonical.ts';
import { EMPTY_MAPPING } from './mapping.ts';
import { csvRows, decodeExtract, jsonlRows, newReadStats, type SourceItem } from './reader.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function collect(gen: AsyncGenerator<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

function bytesOf(parts: (string | Buffer)[], chunk = 3): Readable {
  const all = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  const pieces: Buffer[] = [];
  for (let i = 0; i < all.length; i += chunk) pieces.push(all.subarray(i, i + chunk));
  return Readable.from(pieces);
}

describe('extract reader', () => {
  it('counts lines across CRLF and quoted line breaks, and transcodes UTF-16 split inside a surrogate pair', async () => {
    const text = 'msisdn,operator,owner_cnic,activated_on,status\r\n1,"a\r\nb\rc",x,y,z\r\n\r\n2,"😀 ﷽",x,y,z\r\n3,q,x,y,z';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const stats = newReadStats();
    const items = await collect(csvRows(decodeExtract(bytesOf([le], 3), stats, { maxBytes: 1e9 }), 'sims', EMPTY_MAPPING, stats));
    assert.equal(stats.encoding, 'utf-16le');
    assert.equal(stats.bytes, le.length);
    assert.deepEqual(
      items.map((i) => [i.line, i.kind === 'fields' ? i.flat['operator'] : null]),
      [
        [2, 'a\r\nb\rc'],
        [6, '😀 ﷽'],
        [7, 'q'],
      ],
    );
  });

  it('hashes the bytes as sent', async () => {
    const data = Buffer.from('{"msisdn":"03001234567"}\n');
    const stats = newReadStats();
    await collect(jsonlRows(decodeExtract(bytesOf([data]), stats, { maxBytes: 1e9 }), 'sims', EMPTY_MAPPING));
    const { createHash } = await import('node:crypto');
    assert.equal(stats.hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('reads and validates a few hundred thousand rows in bounded memory', async () => {
    const ROWS = 200_000;
    const WARM = 25_000;
    // A generated stream: the file never exists in memory as a whole.
    async function* extract(): AsyncGenerator<Buffer> {
      yield Buffer.from('msisdn,operator,owner_cnic,activated_on,status\n');
      let batch: string[] = [];
      for (let i = 0; i < ROWS; i++) {
        batch.push(`03${String(100_000_000 + i)},Jazz,${35_202_000_000_00 + i * 2 + 1},${(i % 28) + 1}-0${(i % 9) + 1}-1990,active\n`);
        if (batch.length === 1000) {
          yield Buffer.from(batch.join(''));
          batch = [];
        }
      }
      if (batch.length) yield Buffer.from(batch.join(''));
    }
    const stats = newReadStats();
    let valid = 0;
    let n = 0;
    let heapAtWarm = 0;
    let peak = 0;
    for await (const item of csvRows(decodeExtract(extract(), stats, { maxBytes: 1e12 }), 'sims', EMPTY_MAPPING, stats)) {
      n++;
      if (item.kind !== 'fields') continue;
      const flat = fromFlat('sims', item.flat);
      if (validateRecord('sims', flat.value).ok) valid++;
      if (n === WARM) {
        gc();
        heapAtWarm = process.memoryUsage().heapUsed;
      } else if (n > WARM && n % 50_000 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    gc();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    assert.equal(valid, ROWS);
    const growth = peak - heapAtWarm;
    // Holding the rows would take hundreds of MB (the text alone is ~13 MB); streaming keeps the growth to a few MB.
    assert.ok(growth < 8 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MB over ${ROWS - WARM} rows of ${stats.bytes} bytes`);
  });
});
