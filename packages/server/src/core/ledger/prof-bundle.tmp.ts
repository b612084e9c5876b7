import { existsSync } from 'node:fs';
import { openDatabase } from '#core/db/index.ts';
import { exportBundle, readPublicKeyFile, verifyBundle } from '#core/ledger/index.ts';
const dir = '/tmp/lprof/bundle';
if (!existsSync(dir)) {
  const db = await openDatabase({ url: 'postgres://postgres@127.0.0.1:5432/kotwal_prof' });
  await exportBundle(db, dir, { publicKey: readPublicKeyFile('/tmp/lprof/data/keys/ledger-signing-key.pem') });
  await db.close();
}
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const r = await verifyBundle(dir);
  console.log(r.ok, r.entries, ((r.entries * 1000) / (performance.now() - t0)).toFixed(0), '/s');
}
