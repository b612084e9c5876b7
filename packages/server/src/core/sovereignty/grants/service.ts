/**
 * Break-glass grants: the only way a support account gets more than its own
 * roles. A grant is requested (by someone other than the grantee) for one
 * existing account, one role, a reason and a duration; its manifest names
 * the break-glass approvers and threshold as they stand at the request. It
 * becomes active only when M of those officials have each signed the
 * manifest's hash with their own Ed25519 key, lasts its duration (capped by
 * the policy's max_minutes), and ends by itself: checked on every request
 * and by a sweeper. Every request the grantee makes while it is active is
 * ledgered (`grant.action`) and counted. Revocation ends it at once.
 */
import { randomUUID } from 'node:crypto';
import {
  PROBLEM_TYPES,
  canonicalJson,
  grantManifestHash,
  isPermission,
  parseEd25519PublicKey,
  permissionsRequireMfa,
  publicKeyId,
  type Approver,
  type ApprovalBody,
  type Grant,
  type GrantApproverBody,
  type GrantBody,
  type GrantForSigning,
  type GrantManifest,
  type GrantPolicy,
  type GrantPolicyBody,
  type LedgerActorType,
  type Permission,
  type RevokeBody,
  type TransferApproval,
} from '@kotwal/contracts';
import type { CoreContext, LedgerAppend, Principal } from '#core/context.ts';
import type { Queryable } from '#core/db/index.ts';
import { HttpProblem, type FieldError } from '#core/http/problem.ts';
import { approvalLedgerSeqs, checkApproval, parseApproverKey, recordApproval, refuseIfConcurrentDuplicate, validApprovalKeys } from '../approvals.ts';
import * as repo from './repository.ts';
import type { ApprovalRow, ApproverRow, GrantRow } from './repository.ts';

/** A pending grant not approved within this time expires unused. */
export const GRANT_APPROVAL_WINDOW_MS = 24 * 60 * 60_000;
/** max_minutes when the policy is first set without one. */
export const DEFAULT_MAX_MINUTES = 240;

export interface GrantActor {
  type: LedgerActorType;
  id: string;
  name: string;
}

export interface GrantMeta {
  requestId: string | null;
  ip: string | null;
}

export interface GrantsOptions {
  now?: () => Date;
  /** How often the sweeper ends grants whose time is up (ms, default 15 s). */
  sweepIntervalMs?: number;
}

/** An active grant as applied to one request. */
export interface AppliedGrant {
  grantId: string;
  role: string;
  expiresAt: Date;
  /** Permissions the grant added (beyond the grantee's own). */
  added: Permission[];
}

export interface GrantsService {
  readonly ctx: CoreContext;
  list(q: { status?: string | undefined; limit?: number | undefined }): Promise<Grant[]>;
  get(id: string): Promise<Grant>;
  forSigning(id: string): Promise<GrantForSigning>;
  request(actor: GrantActor, body: GrantBody, meta: GrantMeta): Promise<Grant>;
  /** `principalId`: the signed-in caller, if any (the requester may not approve). */
  approve(id: string, body: ApprovalBody, meta: GrantMeta, principalId: string | null): Promise<Grant>;
  revoke(actor: GrantActor, id: string, body: RevokeBody, meta: GrantMeta): Promise<Grant>;
  listApprovers(): Promise<Approver[]>;
  designateApprover(actor: GrantActor, body: GrantApproverBody, meta: GrantMeta): Promise<Approver>;
  removeApprover(actor: GrantActor, id: string, meta: GrantMeta): Promise<Approver>;
  policy(): Promise<GrantPolicy>;
  setPolicy(actor: GrantActor, body: GrantPolicyBody, meta: GrantMeta): Promise<GrantPolicy>;
  /**
   * The principal with its active grant applied (role permissions added),
   * or unchanged when it has none. Ends a grant found past its time.
   */
  apply(principal: Principal, meta: GrantMeta): Promise<{ principal: Principal; grant: AppliedGrant | null }>;
  /** Ledgers (grant.action) and counts one request made under a grant, in one transaction. */
  recordAction(grant: AppliedGrant, principal: Principal, req: { method: string; route: string; path: string; status: number }, meta: GrantMeta): Promise<void>;
  /** Ends every grant whose time is up; returns how many ended. */
  sweep(): Promise<number>;
  /** Starts the sweeper; returns its stopper. */
  start(): () => Promise<void>;
}

const RECORDED = new WeakSet<object>();

/** True when the problem's refusal was already written to the ledger. */
export function grantRefusalRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RECORDED.has(err);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const field = (name: string, message: string): FieldError[] => [{ field: `/${name}`, message }];
const validation = (detail: string, errors?: FieldError[]) => new HttpProblem(400, PROBLEM_TYPES.validation, 'Invalid request', detail, errors);
const conflict = (detail: string) => new HttpProblem(409, PROBLEM_TYPES.conflict, 'Conflict', detail);
const notFound = (detail: string) => new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', detail);
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const isUniqueViolation = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

export function parseGrantManifest(text: string): GrantManifest {
  return JSON.parse(text) as GrantManifest;
}

function presentApprover(a: ApproverRow): Approver {
  return {
    id: a.id,
    scope: a.scope,
    name: a.name,
    publicKey: a.public_key,
    keyId: a.key_id,
    createdAt: a.created_at.toISOString(),
    createdBy: a.created_by,
    removedAt: iso(a.removed_at),
  };
}

function presentApproval(a: ApprovalRow, ledgerSeq: number | null): TransferApproval {
  return {
    id: a.id,
    publicKey: a.public_key,
    keyId: a.key_id,
    approverName: a.approver_name,
    signature: a.signature,
    signedForm: a.signed_form,
    at: a.at.toISOString(),
    ledgerSeq,
  };
}

export function createGrantsService(ctx: CoreContext, opts: GrantsOptions = {}): GrantsService {
  const now = opts.now ?? (() => new Date());
  const node = { actorType: 'system' as const, actorId: `node:${ctx.node.name}` };

  const record = (
    who: { type: LedgerActorType; id: string },
    action: string,
    resource: string,
    meta: GrantMeta,
    details: Record<string, unknown>,
  ): LedgerAppend => ({
    actorType: who.type,
    actorId: who.id,
    action,
    resource,
    outcome: 'allowed',
    requestId: meta.requestId,
    details: { ...details, ...(meta.ip ? { ip: meta.ip } : {}) },
  });

  /** Ledgers a refusal (outcome denied, with the precise reason) and returns the problem to throw. */
  async function refuse(
    who: { type: LedgerActorType; id: string },
    action: string,
    resource: string,
    meta: GrantMeta,
    p: HttpProblem,
    details: Record<string, unknown> = {},
  ): Promise<HttpProblem> {
    await ctx.ledger.append({
      actorType: who.type,
      actorId: who.id,
      action,
      resource,
      outcome: 'denied',
      requestId: meta.requestId,
      details: { status: p.status, type: p.type, reason: p.detail ?? p.title, ...details, ...(meta.ip ? { ip: meta.ip } : {}) },
    });
    RECORDED.add(p);
    return p;
  }

  async function present(q: Queryable, row: GrantRow): Promise<Grant> {
    const manifest = parseGrantManifest(row.manifest);
    const approvals = await repo.approvalsOfGrant(q, row.id);
    const seqs = await approvalLedgerSeqs(
      q,
      'grant',
      approvals.map((a) => `grant:${row.id}/approval/${a.key_id}`),
    );
    const valid = validApprovalKeys(manifest, row.manifest_hash, approvals);
    return {
      id: row.id,
      manifestHash: row.manifest_hash,
      status: row.status,
      grantee: { id: row.grantee_id, username: row.grantee_username },
      role: row.role,
      reason: row.reason,
      ticket: row.ticket,
      durationMinutes: row.duration_minutes,
      approvals: approvals.map((a) => presentApproval(a, seqs.get(`grant:${row.id}/approval/${a.key_id}`) ?? null)),
      approvalsNeeded: row.status === 'pending-approval' ? Math.max(0, manifest.approvers.threshold - valid.size) : 0,
      requestedAt: row.requested_at.toISOString(),
      requestedBy: row.requested_by_name,
      activatedAt: iso(row.activated_at),
      expiresAt: iso(row.expires_at),
      revokedAt: row.status === 'revoked' ? iso(row.ended_at) : null,
      revokedBy: row.revoked_by,
      actions: Number(row.actions),
    };
  }

  async function load(id: string): Promise<GrantRow> {
    const row = UUID_RE.test(id) ? await repo.findGrant(ctx.db, id) : null;
    if (!row) throw notFound(`there is no grant with id ${id}`);
    return row;
  }

  /** Ends a live grant in its own transaction (ledger + event); false when it had already ended. */
  async function end(
    id: string,
    to: 'expired' | 'revoked',
    reason: 'expired' | 'not-approved' | 'revoked',
    who: { actorType: LedgerActorType; actorId: string },
    meta: GrantMeta,
    by: string | null = null,
    note: string | null = null,
  ): Promise<boolean> {
    const at = now();
    return ctx.unitOfWork(async (tx) => {
      const g = await repo.endGrant(tx, id, to, reason, at, by, note);
      if (!g) return false;
      await ctx.ledger.appendInTx(tx, {
        ...who,
        action: to === 'revoked' ? 'grants.grant.revoked' : 'grants.grant.expired',
        resource: `grant:${id}`,
        outcome: 'allowed',
        requestId: meta.requestId,
        details: {
          grantee: g.grantee_username,
          role: g.role,
          reason,
          actions: Number(g.actions),
          activatedAt: iso(g.activated_at),
          expiresAt: iso(g.expires_at),
          ...(note ? { note } : {}),
        },
      });
      await ctx.events.emit(tx, 'core.grant.ended', { grantId: id, grantee: g.grantee_username, reason: to }, { requestId: meta.requestId });
      return true;
    });
  }

  /** Why a key is not among a grant manifest's approvers. */
  async function notDesignatedReason(manifest: GrantManifest, key: string, requestedAt: Date): Promise<string> {
    const rows = await repo.approversByKey(ctx.db, key);
    const keyId = publicKeyId(key);
    const bg = rows.filter((r) => r.scope === repo.BREAK_GLASS);
    const current = bg.find((r) => !r.removed_at);
    if (current && current.created_at > requestedAt) {
      return `the key ${keyId} was designated as a break-glass approver at ${current.created_at.toISOString()}, after grant ${manifest.id} was requested; the manifest names the approvers as they stood at the request`;
    }
    const removed = bg.find((r) => r.removed_at);
    if (removed) return `the key ${keyId} was a break-glass approver but is not among this grant's approvers (removed at ${removed.removed_at!.toISOString()})`;
    const others = [...new Set(rows.filter((r) => r.scope !== repo.BREAK_GLASS && !r.removed_at).map((r) => r.scope))];
    if (others.length) return `the key ${keyId} is designated for ${others.join(', ')} (transfers), not for break-glass grants`;
    return `the key ${keyId} is not a designated break-glass approver (nor an approver of any dataset)`;
  }

  async function policyRow(q: Queryable = ctx.db): Promise<GrantPolicy | null> {
    const p = await repo.findPolicy(q);
    if (!p) return null;
    return {
      threshold: p.threshold,
      maxMinutes: p.max_minutes ?? DEFAULT_MAX_MINUTES,
      approvers: (await repo.listApprovers(q, true)).length,
      updatedAt: p.updated_at.toISOString(),
      updatedBy: p.updated_by,
    };
  }

  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<number> | null = null;

  const service: GrantsService = {
    ctx,

    async list(q) {
      const rows = await repo.listGrants(ctx.db, { status: q.status, limit: Math.min(200, Math.max(1, q.limit ?? 50)) });
      const out: Grant[] = [];
      for (const r of rows) out.push(await present(ctx.db, r));
      return out;
    },

    async get(id) {
      return present(ctx.db, await load(id));
    },

    async forSigning(id) {
      const row = await load(id);
      const manifest = parseGrantManifest(row.manifest);
      const valid = validApprovalKeys(manifest, row.manifest_hash, await repo.approvalsOfGrant(ctx.db, row.id));
      return {
        id: row.id,
        manifestHash: row.manifest_hash,
        manifest,
        status: row.status,
        approvalsNeeded: row.status === 'pending-approval' ? Math.max(0, manifest.approvers.threshold - valid.size) : 0,
      };
    },

    async request(actor, body, meta) {
      if (actor.type !== 'user')
        throw new HttpProblem(403, PROBLEM_TYPES.forbidden, 'Forbidden', 'a grant is requested by a signed-in official, not by an API token');
      const username = body.grantee.trim().toLowerCase();
      const grantee = await repo.findUserByUsername(ctx.db, username);
      if (!grantee)
        throw validation(
          `grantee: there is no account "${username}"; create the support account first (it holds nothing until a grant is active)`,
          field('grantee', 'unknown account'),
        );
      if (grantee.disabled) throw validation(`grantee: the account "${username}" is disabled`, field('grantee', 'disabled account'));
      if (grantee.id === actor.id) {
        throw await refuse(
          { type: actor.type, id: actor.id },
          'grants.grant.refused',
          `user:${grantee.id}`,
          meta,
          new HttpProblem(
            403,
            PROBLEM_TYPES.forbidden,
            'Forbidden',
            'a grant for oneself is refused: another official must request it',
            field('grantee', 'is the requester'),
          ),
          { grantee: username, role: body.role },
        );
      }
      const role = await repo.findRole(ctx.db, body.role);
      if (!role) throw validation(`role: there is no role "${body.role}"`, field('role', 'unknown role'));
      const reason = body.reason.trim();
      if (!reason) throw validation('reason must not be blank', field('reason', 'must not be blank'));
      const policy = await repo.findPolicy(ctx.db);
      if (!policy) throw conflict('there is no break-glass policy: set one with PUT /api/v1/grants/policy (threshold M of the designated approvers)');
      const approvers = await repo.listApprovers(ctx.db, true);
      if (approvers.length < policy.threshold) {
        throw conflict(
          `a grant needs ${policy.threshold} approvals but only ${approvers.length} break-glass approver${approvers.length === 1 ? ' is' : 's are'} designated: designate at least ${policy.threshold - approvers.length} more with POST /api/v1/grants/approvers`,
        );
      }
      const maxMinutes = policy.max_minutes ?? DEFAULT_MAX_MINUTES;
      if (body.durationMinutes > maxMinutes) {
        throw validation(
          `durationMinutes: ${body.durationMinutes} is more than the policy's maximum of ${maxMinutes} minutes`,
          field('durationMinutes', `at most ${maxMinutes}`),
        );
      }
      const id = randomUUID();
      const at = now();
      const manifest: GrantManifest = {
        version: 1,
        id,
        node: ctx.node.name,
        grantee: { id: grantee.id, username: grantee.username },
        role: role.name,
        reason,
        ticket: body.ticket?.trim() || null,
        durationMinutes: body.durationMinutes,
        requestedAt: at.toISOString(),
        requestedBy: actor.name,
        approvers: { threshold: policy.threshold, publicKeys: approvers.map((a) => a.public_key).sort() },
      };
      const text = canonicalJson(manifest);
      const hash = grantManifestHash(manifest);
      try {
        await ctx.unitOfWork(async (tx) => {
          const live = await repo.liveGrantOf(tx, grantee.id);
          if (live) throw conflict(`"${username}" already has a ${live.status} grant (${live.id}); revoke it or let it end first`);
          await repo.insertGrant(tx, {
            id,
            manifest: text,
            manifest_hash: hash,
            grantee_id: grantee.id,
            grantee_username: grantee.username,
            role: role.name,
            permissions: role.permissions.filter(isPermission).sort(),
            reason,
            ticket: manifest.ticket,
            duration_minutes: body.durationMinutes,
            requested_at: at,
            requested_by: actor.id,
            requested_by_name: actor.name,
            approval_deadline: new Date(at.getTime() + GRANT_APPROVAL_WINDOW_MS),
          });
          await ctx.ledger.appendInTx(
            tx,
            record(actor, 'grants.grant.requested', `grant:${id}`, meta, {
              grantee: grantee.username,
              granteeId: grantee.id,
              role: role.name,
              reason,
              ticket: manifest.ticket,
              durationMinutes: body.durationMinutes,
              manifestHash: hash,
              threshold: policy.threshold,
              approvers: manifest.approvers.publicKeys.map(publicKeyId),
            }),
          );
          await ctx.events.emit(tx, 'core.grant.requested', { grantId: id, grantee: grantee.username, role: role.name }, { requestId: meta.requestId });
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`"${username}" already has a live grant; revoke it or let it end first`);
        throw err;
      }
      return present(ctx.db, (await repo.findGrant(ctx.db, id))!);
    },

    async approve(id, body, meta, principalId) {
      const { key, keyId } = parseApproverKey(body.publicKey);
      const who = { type: 'system' as const, id: `approver:${keyId}` };
      const resource = `grant:${id}`;
      const refusal = (status: number, type: string, title: string, detail: string) =>
        refuse(who, 'grants.approval.refused', resource, meta, new HttpProblem(status, type, title, detail), { publicKey: key, keyId });

      const row = UUID_RE.test(id) ? await repo.findGrant(ctx.db, id) : null;
      if (!row) throw await refusal(404, PROBLEM_TYPES.notFound, 'Not found', `there is no grant with id ${id}`);
      if (principalId && principalId === row.requested_by) {
        throw await refusal(403, PROBLEM_TYPES.forbidden, 'Forbidden', `the requester of grant ${id} may not approve it`);
      }
      if (principalId && principalId === row.grantee_id) {
        throw await refusal(403, PROBLEM_TYPES.forbidden, 'Forbidden', `the grantee of grant ${id} may not approve it`);
      }
      const manifest = parseGrantManifest(row.manifest);
      const form = await checkApproval(ctx.db, {
        kind: 'grant',
        id,
        manifestHash: row.manifest_hash,
        approvers: manifest.approvers.publicKeys,
        key,
        keyId,
        signature: body.signature,
        notDesignatedReason: () => notDesignatedReason(manifest, key, row.requested_at),
        manifestsNamingKey: (k, excludeId, limit) => repo.manifestsNamingKey(ctx.db, k, excludeId, limit),
        refusal,
      });
      const t = now();
      const unapproved = (row.status === 'expired' && row.end_reason === 'not-approved') || (row.status === 'pending-approval' && row.approval_deadline <= t);
      const elapsed =
        (row.status === 'expired' && row.end_reason !== 'not-approved') || (row.status === 'active' && row.expires_at !== null && row.expires_at <= t);
      if (unapproved) {
        throw await refusal(
          410,
          PROBLEM_TYPES.transferExpired,
          'Grant expired',
          `grant ${id} expired unapproved at ${row.approval_deadline.toISOString()} (approvals close ${GRANT_APPROVAL_WINDOW_MS / 3_600_000} h after the request)`,
        );
      }
      if (elapsed) {
        throw await refusal(410, PROBLEM_TYPES.transferExpired, 'Grant expired', `grant ${id} expired at ${iso(row.expires_at ?? row.ended_at)}`);
      }
      if (row.status === 'revoked') {
        throw await refusal(
          409,
          PROBLEM_TYPES.transferRevoked,
          'Grant revoked',
          `grant ${id} was revoked at ${iso(row.ended_at)} by ${row.revoked_by ?? 'unknown'}${row.revoke_reason ? `: ${row.revoke_reason}` : ''}`,
        );
      }
      const designation = (await repo.approversByKey(ctx.db, key)).find((a) => a.scope === repo.BREAK_GLASS);
      const approverName = designation?.name ?? keyId;
      try {
        const result = await ctx.unitOfWork(async (tx) => {
          const g = (await repo.findGrant(tx, id, true))!;
          if (g.status !== 'pending-approval' && g.status !== 'active') {
            throw conflict(`grant ${id} is ${g.status}; approvals are closed`);
          }
          await recordApproval(tx, ctx.ledger, {
            kind: 'grant',
            approvalId: randomUUID(),
            subjectId: id,
            manifestHash: g.manifest_hash,
            key,
            keyId,
            approverName,
            signature: body.signature,
            form,
            at: t,
            actor: { actorType: who.type, actorId: who.id },
            requestId: meta.requestId,
          });
          const valid = validApprovalKeys(manifest, g.manifest_hash, await repo.approvalsOfGrant(tx, id));
          if (g.status === 'pending-approval' && valid.size >= manifest.approvers.threshold) {
            const policy = await repo.findPolicy(tx);
            const minutes = Math.min(g.duration_minutes, policy?.max_minutes ?? DEFAULT_MAX_MINUTES);
            const expiresAt = new Date(t.getTime() + minutes * 60_000);
            await repo.activateGrant(tx, id, t, expiresAt);
            await ctx.ledger.appendInTx(tx, {
              ...node,
              action: 'grants.grant.activated',
              resource: `grant:${id}`,
              outcome: 'allowed',
              requestId: meta.requestId,
              details: {
                grantee: g.grantee_username,
                role: g.role,
                approvals: valid.size,
                threshold: manifest.approvers.threshold,
                manifestHash: g.manifest_hash,
                minutes,
                expiresAt: expiresAt.toISOString(),
              },
            });
            await ctx.events.emit(
              tx,
              'core.grant.activated',
              { grantId: id, grantee: g.grantee_username, role: g.role, expiresAt: expiresAt.toISOString() },
              { requestId: meta.requestId },
            );
          }
          return (await repo.findGrant(tx, id))!;
        });
        return await present(ctx.db, result);
      } catch (err) {
        await refuseIfConcurrentDuplicate(err, refusal);
        if (err instanceof HttpProblem && !grantRefusalRecorded(err)) throw await refusal(err.status, err.type, err.title, err.detail ?? err.title);
        throw err;
      }
    },

    async revoke(actor, id, body, meta) {
      const row = await load(id);
      if (row.status !== 'pending-approval' && row.status !== 'active') {
        throw conflict(`grant ${id} already ended (${row.status}${row.ended_at ? ` at ${row.ended_at.toISOString()}` : ''})`);
      }
      const note = body.reason?.trim() || null;
      const ended = await end(id, 'revoked', 'revoked', { actorType: actor.type, actorId: actor.id }, meta, actor.name, note);
      if (!ended) throw conflict(`grant ${id} ended while it was being revoked`);
      return present(ctx.db, (await repo.findGrant(ctx.db, id))!);
    },

    async listApprovers() {
      return (await repo.listApprovers(ctx.db, false)).map(presentApprover);
    },

    async designateApprover(actor, body, meta) {
      let key: string;
      try {
        key = parseEd25519PublicKey(body.publicKey);
      } catch (err) {
        throw validation(`publicKey: ${(err as Error).message}`, field('publicKey', (err as Error).message));
      }
      const name = body.name.trim();
      if (!name) throw validation('name must not be blank', field('name', 'must not be blank'));
      const id = randomUUID();
      const keyId = publicKeyId(key);
      try {
        await ctx.unitOfWork(async (tx) => {
          const dup = (await repo.approversByKey(tx, key)).find((a) => a.scope === repo.BREAK_GLASS && !a.removed_at);
          if (dup) throw conflict(`key ${keyId} is already a break-glass approver ("${dup.name}")`);
          await repo.insertApprover(tx, { id, name, public_key: key, key_id: keyId, created_at: now(), created_by: actor.name });
          await ctx.ledger.appendInTx(
            tx,
            record(actor, 'grants.approver.designated', `approver:${id}`, meta, { scope: repo.BREAK_GLASS, name, publicKey: key, keyId }),
          );
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`key ${keyId} is already a break-glass approver`);
        throw err;
      }
      return presentApprover((await repo.findApprover(ctx.db, id))!);
    },

    async removeApprover(actor, id, meta) {
      const a = UUID_RE.test(id) ? await repo.findApprover(ctx.db, id) : null;
      if (!a || a.scope !== repo.BREAK_GLASS) throw notFound(`there is no break-glass approver with id ${id}`);
      await ctx.unitOfWork(async (tx) => {
        if (!(await repo.removeApprover(tx, id, now(), actor.name))) throw conflict(`approver "${a.name}" was already removed`);
        await ctx.ledger.appendInTx(
          tx,
          record(actor, 'grants.approver.removed', `approver:${id}`, meta, { scope: repo.BREAK_GLASS, name: a.name, keyId: a.key_id }),
        );
      });
      return presentApprover((await repo.findApprover(ctx.db, id))!);
    },

    async policy() {
      const p = await policyRow();
      if (!p) throw notFound('no break-glass policy is set: PUT /api/v1/grants/policy');
      return p;
    },

    async setPolicy(actor, body, meta) {
      const before = await repo.findPolicy(ctx.db);
      const maxMinutes = body.maxMinutes ?? before?.max_minutes ?? DEFAULT_MAX_MINUTES;
      await ctx.unitOfWork(async (tx) => {
        await repo.upsertPolicy(tx, { threshold: body.threshold, maxMinutes, at: now(), by: actor.name });
        await ctx.ledger.appendInTx(
          tx,
          record(actor, 'grants.policy.set', `policy:${repo.BREAK_GLASS}`, meta, {
            threshold: body.threshold,
            maxMinutes,
            before: before ? { threshold: before.threshold, maxMinutes: before.max_minutes } : null,
          }),
        );
      });
      return (await policyRow())!;
    },

    async apply(principal, meta) {
      if (principal.kind !== 'user' || principal.state !== 'active') return { principal, grant: null };
      const g = await repo.activeGrantFor(ctx.db, principal.id, principal.sessionId);
      if (!g) return { principal, grant: null };
      if (g.expires_at.getTime() <= now().getTime()) {
        await end(g.id, 'expired', 'expired', node, meta);
        return { principal, grant: null };
      }
      // Never more than the role held at the request, nor more than it holds now.
      const current = new Set(g.role_permissions ?? []);
      const granted = g.permissions.filter((p): p is Permission => isPermission(p) && current.has(p));
      const added = granted.filter((p) => !principal.permissions.has(p));
      const applied: AppliedGrant = { grantId: g.id, role: g.role, expiresAt: g.expires_at, added };
      if (permissionsRequireMfa(granted) && g.mfa_passed !== true) {
        // The role requires MFA: the grantee enrols (or signs in with a code) before using it.
        return { principal: { ...principal, state: 'mfa-enrollment-required', permissions: new Set<Permission>(['auth.self']) }, grant: applied };
      }
      return { principal: { ...principal, permissions: new Set<Permission>([...principal.permissions, ...granted]) }, grant: applied };
    },

    async recordAction(grant, principal, req, meta) {
      await ctx.unitOfWork(async (tx) => {
        await repo.countAction(tx, grant.grantId, now());
        await ctx.ledger.appendInTx(tx, {
          actorType: principal.kind,
          actorId: principal.id,
          action: 'grant.action',
          resource: `grant:${grant.grantId}`,
          outcome: req.status < 400 ? 'allowed' : 'denied',
          requestId: meta.requestId,
          details: {
            method: req.method,
            route: req.route,
            path: req.path,
            status: req.status,
            role: grant.role,
            username: principal.name,
            ...(meta.ip ? { ip: meta.ip } : {}),
          },
        });
      });
    },

    async sweep() {
      if (sweeping) return sweeping;
      sweeping = (async () => {
        let n = 0;
        for (const g of await repo.grantsDue(ctx.db, now())) {
          const reason = g.status === 'active' ? 'expired' : 'not-approved';
          if (await end(g.id, 'expired', reason, node, { requestId: null, ip: null })) n++;
        }
        return n;
      })();
      try {
        return await sweeping;
      } finally {
        sweeping = null;
      }
    },

    start() {
      const every = Math.max(50, opts.sweepIntervalMs ?? 15_000);
      timer = setInterval(() => {
        service.sweep().catch((err: unknown) => ctx.logger.error({ err }, 'break-glass grant sweep failed'));
      }, every);
      timer.unref();
      return async () => {
        if (timer) clearInterval(timer);
        timer = null;
        await sweeping?.catch(() => undefined);
      };
    },
  };
  return service;
}
