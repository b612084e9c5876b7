/**
 * Ledger witnesses: outside parties (the data owner, an ombudsman) whose
 * Ed25519 keys are registered here. A witness fetches a signed checkpoint,
 * checks it is consistent with the last one it saw, and countersigns it
 * (contracts cosignedMessage: C2SP tlog-cosignature style). The
 * countersignature is its own authentication: a cosignature is accepted
 * only from a registered key, over a checkpoint this node signed, with a
 * timestamp close to now. Every acceptance and every refusal is ledgered
 * with the precise reason.
 */
import { randomUUID } from 'node:crypto';
import {
  PROBLEM_TYPES,
  parseEd25519PublicKey,
  publicKeyId,
  verifyCosignature,
  type Cosignature,
  type CosignatureBody,
  type LedgerActorType,
  type WitnessBody,
  type WitnessWithLatest,
} from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { HttpProblem } from '#core/http/problem.ts';
import type { Ledger } from './ledger.ts';

/** How far a cosignature's timestamp may be from this node's clock. */
export const COSIGNATURE_MAX_SKEW_SECONDS = 600;

export interface WitnessActor {
  type: LedgerActorType;
  id: string;
  name: string;
}

export interface WitnessMeta {
  requestId: string | null;
  ip: string | null;
}

interface WitnessRow {
  id: string;
  name: string;
  public_key: string;
  key_id: string;
  created_at: Date;
  created_by: string;
  removed_at: Date | null;
}

interface CosignatureRow {
  tree_size: number;
  witness_id: string;
  name: string;
  public_key: string;
  key_id: string;
  timestamp: number;
  signature: string;
  received_at: Date;
}

const WITNESS_COLUMNS = 'id, name, public_key, key_id, created_at, created_by, removed_at';
const COSIGNATURE_SELECT = `SELECT c.tree_size, c.witness_id, w.name, w.public_key, w.key_id, c.timestamp, c.signature, c.received_at
  FROM ledger_cosignatures c JOIN ledger_witnesses w ON w.id = c.witness_id`;

const RECORDED = new WeakSet<object>();

/** True when the refusal was already written to the ledger by this service. */
export function witnessRefusalRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RECORDED.has(err);
}

export function presentCosignature(r: CosignatureRow): Cosignature {
  return {
    treeSize: Number(r.tree_size),
    witness: r.name,
    publicKey: r.public_key,
    keyId: r.key_id,
    timestamp: Number(r.timestamp),
    signature: r.signature,
    receivedAt: r.received_at.toISOString(),
  };
}

function presentWitness(r: WitnessRow, last: CosignatureRow | null): WitnessWithLatest {
  return {
    id: r.id,
    name: r.name,
    publicKey: r.public_key,
    keyId: r.key_id,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    status: r.removed_at ? 'removed' : 'active',
    removedAt: r.removed_at?.toISOString() ?? null,
    lastCosignedTreeSize: last ? Number(last.tree_size) : null,
    lastCosignedAt: last ? last.received_at.toISOString() : null,
    lastCosignature: last ? presentCosignature(last) : null,
  };
}

async function witnessById(q: Queryable, id: string): Promise<WitnessRow | null> {
  return (await q.query<WitnessRow>(`SELECT ${WITNESS_COLUMNS} FROM ledger_witnesses WHERE id = $1`, [id])).rows[0] ?? null;
}

async function latestCosignatureOf(q: Queryable, witnessId: string): Promise<CosignatureRow | null> {
  const r = await q.query<CosignatureRow>(`${COSIGNATURE_SELECT} WHERE c.witness_id = $1 ORDER BY c.tree_size DESC LIMIT 1`, [witnessId]);
  return r.rows[0] ?? null;
}

const isUniqueViolation = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

export interface WitnessService {
  list(): Promise<WitnessWithLatest[]>;
  register(actor: WitnessActor, body: WitnessBody, meta: WitnessMeta): Promise<WitnessWithLatest>;
  remove(actor: WitnessActor, id: string, meta: WitnessMeta): Promise<WitnessWithLatest>;
  /** Verifies and stores a countersignature; refusals are ledgered (see witnessRefusalRecorded). */
  cosign(body: CosignatureBody, meta: WitnessMeta): Promise<Cosignature>;
  cosignaturesAt(treeSize: number): Promise<Cosignature[]>;
  /** Every cosignature, oldest first (oversight export). */
  allCosignatures(q?: Queryable): Promise<Cosignature[]>;
}

export function createWitnessService(ctx: CoreContext, ledger: Pick<Ledger, 'checkpointAt'>, now: () => Date = () => new Date()): WitnessService {
  /** Ledgers a refusal (outcome denied) and returns the problem, marked as recorded. */
  async function refuse(who: { type: LedgerActorType; id: string }, resource: string, meta: WitnessMeta, p: HttpProblem, details: Record<string, unknown>) {
    await ctx.ledger.append({
      actorType: who.type,
      actorId: who.id,
      action: 'ledger.cosignature.refused',
      resource,
      outcome: 'denied',
      requestId: meta.requestId,
      details: { status: p.status, type: p.type, reason: p.detail ?? p.title, ...details, ...(meta.ip ? { ip: meta.ip } : {}) },
    });
    RECORDED.add(p);
    return p;
  }

  return {
    async list() {
      const rows = (await ctx.db.query<WitnessRow>(`SELECT ${WITNESS_COLUMNS} FROM ledger_witnesses ORDER BY removed_at IS NOT NULL, created_at, id`)).rows;
      const out: WitnessWithLatest[] = [];
      for (const r of rows) out.push(presentWitness(r, await latestCosignatureOf(ctx.db, r.id)));
      return out;
    },

    async register(actor, body, meta) {
      let publicKey: string;
      try {
        publicKey = parseEd25519PublicKey(body.publicKey);
      } catch (err) {
        throw new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', `publicKey: ${(err as Error).message}`, [
          { field: '/publicKey', message: (err as Error).message },
        ]);
      }
      const name = body.name.trim();
      if (!name)
        throw new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', 'name must not be blank', [{ field: '/name', message: 'must not be blank' }]);
      const keyId = publicKeyId(publicKey);
      const id = randomUUID();
      const at = now();
      try {
        await ctx.unitOfWork(async (tx) => {
          const dup = await tx.query<{ name: string }>('SELECT name FROM ledger_witnesses WHERE public_key = $1 AND removed_at IS NULL', [publicKey]);
          if (dup.rows[0]) {
            throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', `key ${keyId} is already registered as witness "${dup.rows[0].name}"`, [
              { field: '/publicKey', message: 'already registered' },
            ]);
          }
          await tx.query('INSERT INTO ledger_witnesses (id, name, public_key, key_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [
            id,
            name,
            publicKey,
            keyId,
            at,
            actor.name,
          ]);
          await ctx.ledger.appendInTx(tx, {
            actorType: actor.type,
            actorId: actor.id,
            action: 'ledger.witness.registered',
            resource: `witness:${id}`,
            outcome: 'allowed',
            requestId: meta.requestId,
            details: { name, publicKey, keyId },
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', `key ${keyId} is already registered as a witness`);
        throw err;
      }
      return presentWitness((await witnessById(ctx.db, id))!, null);
    },

    async remove(actor, id, meta) {
      const at = now();
      await ctx.unitOfWork(async (tx) => {
        const row = await witnessById(tx, id);
        if (!row) throw new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `no witness with id ${id}`, [{ field: 'id', message: 'unknown witness' }]);
        if (row.removed_at)
          throw new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', `witness "${row.name}" was already removed at ${row.removed_at.toISOString()}`);
        await tx.query('UPDATE ledger_witnesses SET removed_at = $2, removed_by = $3 WHERE id = $1', [id, at, actor.name]);
        await ctx.ledger.appendInTx(tx, {
          actorType: actor.type,
          actorId: actor.id,
          action: 'ledger.witness.removed',
          resource: `witness:${id}`,
          outcome: 'allowed',
          requestId: meta.requestId,
          details: { name: row.name, keyId: row.key_id },
        });
      });
      const row = (await witnessById(ctx.db, id))!;
      return presentWitness(row, await latestCosignatureOf(ctx.db, id));
    },

    async cosign(body, meta) {
      const resource = `ledger:checkpoints/${body.treeSize}`;
      const anonymous = { type: 'anonymous' as const, id: meta.ip ?? 'unknown' };
      const asked = { treeSize: body.treeSize, timestamp: body.timestamp };
      let publicKey: string;
      try {
        publicKey = parseEd25519PublicKey(body.publicKey);
      } catch (err) {
        throw await refuse(
          anonymous,
          resource,
          meta,
          new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', `publicKey: ${(err as Error).message}`, [
            { field: '/publicKey', message: (err as Error).message },
          ]),
          { ...asked, reasonCode: 'malformed-key' },
        );
      }
      const keyId = publicKeyId(publicKey);
      const rows = (
        await ctx.db.query<WitnessRow>(
          `SELECT ${WITNESS_COLUMNS} FROM ledger_witnesses WHERE public_key = $1 ORDER BY removed_at IS NULL DESC, removed_at DESC`,
          [publicKey],
        )
      ).rows;
      const witness = rows.find((r) => !r.removed_at);
      if (!witness) {
        const removed = rows[0];
        const detail = removed
          ? `key ${keyId} belonged to witness "${removed.name}", removed at ${removed.removed_at!.toISOString()}; its cosignatures are no longer accepted`
          : `key ${keyId} is not a registered witness (register it with POST /api/v1/ledger/witnesses)`;
        throw await refuse(anonymous, resource, meta, new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', detail), {
          ...asked,
          keyId,
          reasonCode: removed ? 'witness-removed' : 'unknown-witness',
        });
      }
      const who = { type: 'system' as const, id: `witness:${keyId}` };
      const cp = await ledger.checkpointAt(body.treeSize);
      if (!cp) {
        throw await refuse(
          who,
          resource,
          meta,
          new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `this node signed no checkpoint at tree size ${body.treeSize}`, [
            { field: '/treeSize', message: 'no checkpoint at this tree size' },
          ]),
          { ...asked, keyId, witness: witness.name, reasonCode: 'unknown-checkpoint' },
        );
      }
      const nowSeconds = Math.floor(now().getTime() / 1000);
      const skew = body.timestamp - nowSeconds;
      if (Math.abs(skew) > COSIGNATURE_MAX_SKEW_SECONDS) {
        const detail = `timestamp ${body.timestamp} is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} this node's clock (${nowSeconds}); at most ${COSIGNATURE_MAX_SKEW_SECONDS} s is accepted`;
        throw await refuse(
          who,
          resource,
          meta,
          new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', detail, [{ field: '/timestamp', message: 'too far from now' }]),
          { ...asked, keyId, witness: witness.name, reasonCode: 'timestamp-skew', nodeTime: nowSeconds },
        );
      }
      if (!verifyCosignature(cp.body, body.timestamp, body.signature, publicKey)) {
        throw await refuse(
          who,
          resource,
          meta,
          new HttpProblem(
            422,
            PROBLEM_TYPES.signatureInvalid,
            'Signature invalid',
            `the signature does not verify with witness key ${keyId} over the cosigned message of the checkpoint at tree size ${body.treeSize} (root ${cp.rootHash}) at time ${body.timestamp}`,
            [{ field: '/signature', message: 'does not verify' }],
          ),
          { ...asked, keyId, witness: witness.name, reasonCode: 'signature-invalid' },
        );
      }
      const received = now();
      const duplicate = async (): Promise<HttpProblem> => {
        const prior = (await ctx.db.query<CosignatureRow>(`${COSIGNATURE_SELECT} WHERE c.tree_size = $1 AND c.witness_id = $2`, [body.treeSize, witness.id]))
          .rows[0];
        return refuse(
          who,
          resource,
          meta,
          new HttpProblem(
            409,
            PROBLEM_TYPES.conflict,
            'Conflict',
            `witness "${witness.name}" already countersigned the checkpoint at tree size ${body.treeSize}${prior ? ` (time ${prior.timestamp}, received ${prior.received_at.toISOString()})` : ''}`,
          ),
          { ...asked, keyId, witness: witness.name, reasonCode: 'already-cosigned' },
        );
      };
      try {
        const inserted = await ctx.unitOfWork(async (tx) => {
          const r = await tx.query(
            `INSERT INTO ledger_cosignatures (tree_size, witness_id, timestamp, signature, received_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tree_size, witness_id) DO NOTHING RETURNING tree_size`,
            [body.treeSize, witness.id, body.timestamp, body.signature, received],
          );
          if (r.rows.length === 0) return false;
          await ctx.ledger.appendInTx(tx, {
            actorType: who.type,
            actorId: who.id,
            action: 'ledger.cosignature.recorded',
            resource,
            outcome: 'allowed',
            requestId: meta.requestId,
            details: {
              witness: witness.name,
              witnessId: witness.id,
              keyId,
              treeSize: body.treeSize,
              rootHash: cp.rootHash,
              timestamp: body.timestamp,
              signature: body.signature,
            },
          });
          await ctx.events.emit(tx, 'core.ledger.cosigned', { treeSize: body.treeSize, witness: witness.name }, { requestId: meta.requestId });
          return true;
        });
        if (!inserted) throw await duplicate();
      } catch (err) {
        if (isUniqueViolation(err)) throw await duplicate();
        throw err;
      }
      return {
        treeSize: body.treeSize,
        witness: witness.name,
        publicKey,
        keyId,
        timestamp: body.timestamp,
        signature: body.signature,
        receivedAt: received.toISOString(),
      };
    },

    async cosignaturesAt(treeSize) {
      return (await ctx.db.query<CosignatureRow>(`${COSIGNATURE_SELECT} WHERE c.tree_size = $1 ORDER BY c.received_at, w.name`, [treeSize])).rows.map(
        presentCosignature,
      );
    },

    async allCosignatures(q = ctx.db) {
      return (await q.query<CosignatureRow>(`${COSIGNATURE_SELECT} ORDER BY c.tree_size, c.received_at, w.name`)).rows.map(presentCosignature);
    },
  };
}
