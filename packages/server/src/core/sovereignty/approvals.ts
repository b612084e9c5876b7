/**
 * Approvals by designated officials, as transfers and break-glass grants
 * share them (sov_approvals): an approval is an Ed25519 signature over the
 * subject's manifest hash, by a key its manifest names; a signature is
 * accepted once anywhere, a key approves a subject once. checkApproval makes
 * those checks (each refusal ledgered with its precise reason by the caller's
 * refusal), recordApproval inserts the approval and its ledger entry in the
 * caller's transaction. What follows an approval (threshold reached: a
 * transfer approved, a grant activated) stays with each subject.
 */
import { PROBLEM_TYPES, parseEd25519PublicKey, publicKeyId, verifyHashSignature, type LedgerActorType } from '@kotwal/contracts';
import type { LedgerWriter } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { problems, type HttpProblem } from '#core/http/problem.ts';

export type ApprovalSubject = 'transfer' | 'grant';
export type SignedForm = 'raw' | 'hex-text';

const ms = (col: string, as = col): string => `(extract(epoch FROM ${col}) * 1000)::int8 AS ${as}`;
const iso = (msValue: number): string => new Date(msValue).toISOString();

/** Valid approvals of a manifest: by a key the manifest names, verifying over its hash; one per key. */
export function validApprovalKeys(
  manifest: { approvers: { publicKeys: readonly string[] } },
  hash: string,
  approvals: readonly { public_key: string; signature: string }[],
): Set<string> {
  const named = new Set(manifest.approvers.publicKeys);
  const valid = new Set<string>();
  for (const a of approvals) if (named.has(a.public_key) && verifyHashSignature(hash, a.signature, a.public_key)) valid.add(a.public_key);
  return valid;
}

/** The approval body's public key, normalised, and its key id; 400 naming /publicKey when it is not an Ed25519 key. */
export function parseApproverKey(publicKey: string): { key: string; keyId: string } {
  let key: string;
  try {
    key = parseEd25519PublicKey(publicKey);
  } catch (err) {
    const message = (err as Error).message;
    throw problems.validation(`publicKey: ${message}`, [{ field: '/publicKey', message }]);
  }
  return { key, keyId: publicKeyId(key) };
}

// ---- SQL (sov_approvals) ----------------------------------------------------------------

interface RecordedApproval {
  subject_kind: ApprovalSubject;
  subject_id: string;
  approver_name: string;
  at_ms: number;
}

const COLUMNS = `subject_kind, subject_id, approver_name, ${ms('at', 'at_ms')}`;

async function approvalBySignature(q: Queryable, signature: string): Promise<RecordedApproval | null> {
  return (await q.query<RecordedApproval>(`SELECT ${COLUMNS} FROM sov_approvals WHERE signature = $1`, [signature])).rows[0] ?? null;
}

async function approvalByKey(q: Queryable, kind: ApprovalSubject, subjectId: string, publicKey: string): Promise<RecordedApproval | null> {
  return (
    (
      await q.query<RecordedApproval>(
        `SELECT ${COLUMNS} FROM sov_approvals WHERE subject_kind = $1 AND subject_id = $2 AND public_key = $3 ORDER BY at, id LIMIT 1`,
        [kind, subjectId, publicKey],
      )
    ).rows[0] ?? null
  );
}

/** Ledger seqs of approval entries by resource (<kind>:<id>/approval/<keyId>), once sequenced. */
export async function approvalLedgerSeqs(q: Queryable, kind: ApprovalSubject, resources: readonly string[]): Promise<Map<string, number>> {
  if (!resources.length) return new Map();
  const r = await q.query<{ resource: string; seq: number }>(
    `SELECT resource, min(seq) AS seq FROM ledger_entries WHERE action = $1 AND resource = ANY($2::text[]) GROUP BY resource`,
    [`${kind}s.approval.recorded`, [...resources]],
  );
  return new Map(r.rows.map((x) => [x.resource, Number(x.seq)]));
}

// ---- checks and recording ----------------------------------------------------------------

export interface ApprovalAttempt {
  kind: ApprovalSubject;
  /** The subject's id. */
  id: string;
  /** The hash the stored manifest has. */
  manifestHash: string;
  /** The keys the manifest names. */
  approvers: readonly string[];
  key: string;
  keyId: string;
  signature: string;
  /** Why the key is not among the manifest's approvers (in the subject's own words). */
  notDesignatedReason: () => Promise<string>;
  /** Other manifests naming the key, to say which one a misdirected signature was made for. */
  manifestsNamingKey: (key: string, excludeId: string, limit: number) => Promise<readonly { kind: string; id: string; manifest_hash: string }[]>;
  /** Ledgers a refusal (outcome denied) and returns the problem to throw. */
  refusal: (status: number, type: string, title: string, detail: string) => Promise<HttpProblem>;
}

/**
 * Designated key? Signature over this manifest hash (else: for which other
 * subject)? Signature already used? Key already approved this subject?
 * Returns the form the signature was made in; throws the ledgered refusal.
 */
export async function checkApproval(q: Queryable, a: ApprovalAttempt): Promise<SignedForm> {
  if (!a.approvers.includes(a.key)) {
    throw await a.refusal(403, PROBLEM_TYPES.approverNotDesignated, 'Approver not designated', await a.notDesignatedReason());
  }
  const form = verifyHashSignature(a.manifestHash, a.signature, a.key);
  const used = await approvalBySignature(q, a.signature);
  if (!form) {
    let detail = `the signature does not verify over manifest hash ${a.manifestHash} with the key ${a.keyId}`;
    const elsewhere = used && used.subject_id !== a.id ? used : null;
    if (elsewhere) {
      detail += `: it was signed for ${elsewhere.subject_kind} ${elsewhere.subject_id} (already used there at ${iso(elsewhere.at_ms)})`;
    } else {
      for (const other of await a.manifestsNamingKey(a.key, a.id, 200)) {
        if (verifyHashSignature(other.manifest_hash, a.signature, a.key)) {
          detail += `: it was signed for ${other.kind} ${other.id} (manifest hash ${other.manifest_hash})`;
          break;
        }
      }
    }
    throw await a.refusal(422, PROBLEM_TYPES.signatureInvalid, 'Signature invalid', detail);
  }
  if (used) {
    throw await a.refusal(
      409,
      PROBLEM_TYPES.approvalDuplicate,
      'Approval duplicate',
      `this signature was already used for ${used.subject_kind} ${used.subject_id} (approval by ${used.approver_name} at ${iso(used.at_ms)}); a signature is accepted once`,
    );
  }
  const mine = await approvalByKey(q, a.kind, a.id, a.key);
  if (mine) {
    throw await a.refusal(
      409,
      PROBLEM_TYPES.approvalDuplicate,
      'Approval duplicate',
      `the key ${a.keyId} (${mine.approver_name}) already approved this ${a.kind} at ${iso(mine.at_ms)}`,
    );
  }
  return form;
}

/** Inserts the approval and its ledger entry (`<kind>s.approval.recorded`) in the caller's transaction. */
export async function recordApproval(
  tx: Queryable,
  ledger: Pick<LedgerWriter, 'appendInTx'>,
  r: {
    kind: ApprovalSubject;
    approvalId: string;
    subjectId: string;
    manifestHash: string;
    key: string;
    keyId: string;
    approverName: string;
    signature: string;
    form: SignedForm;
    at: Date;
    actor: { actorType: LedgerActorType; actorId: string };
    requestId: string | null;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO sov_approvals (id, subject_kind, subject_id, public_key, key_id, approver_name, signature, signed_form, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [r.approvalId, r.kind, r.subjectId, r.key, r.keyId, r.approverName, r.signature, r.form, r.at],
  );
  await ledger.appendInTx(tx, {
    actorType: r.actor.actorType,
    actorId: r.actor.actorId,
    action: `${r.kind}s.approval.recorded`,
    resource: `${r.kind}:${r.subjectId}/approval/${r.keyId}`,
    outcome: 'allowed',
    requestId: r.requestId,
    details: {
      [`${r.kind}Id`]: r.subjectId,
      manifestHash: r.manifestHash,
      publicKey: r.key,
      approver: r.approverName,
      signature: r.signature,
      signedForm: r.form,
    },
  });
}

/** Two submissions of the same signature (or key) at once: the unique index decided; throws the ledgered refusal. Anything else returns. */
export async function refuseIfConcurrentDuplicate(err: unknown, refusal: ApprovalAttempt['refusal']): Promise<void> {
  if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505') {
    throw await refusal(409, PROBLEM_TYPES.approvalDuplicate, 'Approval duplicate', 'this signature or key was recorded by a concurrent request');
  }
}
