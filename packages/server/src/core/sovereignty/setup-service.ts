/**
 * Who and where: peers (registered with the key and jurisdiction agreed out
 * of band, then made to prove both), datasets, the officials designated to
 * approve transfers of each, and each dataset's M-of-N policy.
 */
import { randomUUID } from 'node:crypto';
import {
  PROBLEM_TYPES,
  parseEd25519PublicKey,
  publicKeyId,
  type Approver,
  type ApproverBody,
  type ApproverList,
  type DatasetList,
  type Peer,
  type PeerBody,
  type PeerList,
  type Policy,
  type PolicyBody,
} from '@kotwal/contracts';
import { EgressRefusedError, EgressRequestError } from '#core/egress/index.ts';
import { HttpProblem, problems } from '#core/http/problem.ts';
import { IdentityFetchError, fetchIdentity, identityMismatches } from './identity.ts';
import * as repo from './repository.ts';
import { effectiveJurisdictions, presentApprover, presentPeer, presentPolicy } from './presenters.ts';
import { isUuid, markRecorded, normaliseAddress, problem, type Actor, type RequestMeta, type SovDeps } from './service-support.ts';

export interface SetupService {
  registerPeer(actor: Actor, body: PeerBody, meta: RequestMeta): Promise<Peer>;
  listPeers(): Promise<PeerList>;
  removePeer(actor: Actor, id: string, meta: RequestMeta): Promise<Peer>;
  /**
   * Fetches the peer's signed identity and compares it with the
   * registration (and, when given, a manifest's destination). Returns the
   * list of mismatches (empty: verified, lastVerifiedAt updated); throws
   * IdentityFetchError / EgressRequestError when the peer cannot be reached.
   */
  verifyPeer(peer: repo.PeerRow, expect?: { publicKey: string | null; jurisdiction: string }): Promise<string[]>;
  listDatasets(): Promise<DatasetList>;
  addApprover(actor: Actor, body: ApproverBody, meta: RequestMeta): Promise<Approver>;
  listApprovers(dataset: string | undefined): Promise<ApproverList>;
  removeApprover(actor: Actor, id: string, meta: RequestMeta): Promise<Approver>;
  putPolicy(actor: Actor, body: PolicyBody, meta: RequestMeta): Promise<Policy>;
  getPolicy(dataset: string): Promise<Policy>;
}

const field = (f: string, message: string) => [{ field: `/${f}`, message }];

export function createSetupService(deps: SovDeps): SetupService {
  const { ctx } = deps;

  const requireDataset = (name: string, where: string): void => {
    if (!deps.datasets.has(name)) {
      const known = [...deps.datasets.keys()].sort();
      throw problems.validation(`${where}: there is no dataset "${name}" (datasets: ${known.join(', ') || 'none'})`, field('dataset', 'unknown dataset'));
    }
  };

  const parseKey = (text: string, f = 'publicKey'): string => {
    try {
      return parseEd25519PublicKey(text);
    } catch (err) {
      throw problems.validation(`${f}: ${(err as Error).message}`, field(f, (err as Error).message));
    }
  };

  const entry = (actor: Actor, action: string, resource: string, meta: RequestMeta, details: Record<string, unknown>) => ({
    actorType: actor.type,
    actorId: actor.id,
    action,
    resource,
    outcome: 'allowed' as const,
    requestId: meta.requestId,
    details,
  });

  const verifyPeer: SetupService['verifyPeer'] = async (peer, expect) => {
    const identity = await fetchIdentity(ctx, peer.address, { kind: 'peer-verify', peerId: peer.id });
    const mismatches = identityMismatches(identity, { name: peer.name, publicKey: peer.public_key, jurisdiction: peer.jurisdiction });
    if (expect) {
      if (expect.publicKey !== null && expect.publicKey !== peer.public_key) {
        mismatches.push(`the transfer names the key ${expect.publicKey}, but the peer is now registered with ${peer.public_key}`);
      }
      if (expect.jurisdiction !== peer.jurisdiction) {
        mismatches.push(`the transfer names the jurisdiction ${expect.jurisdiction}, but the peer is registered in ${peer.jurisdiction}`);
      }
    }
    if (!mismatches.length) await repo.markPeerVerified(ctx.db, peer.id, deps.now());
    return mismatches;
  };

  return {
    verifyPeer,

    async registerPeer(actor, body, meta) {
      const address = normaliseAddress(body.address);
      if (!address)
        throw problems.validation('address must be an http:// or https:// base URL without credentials, query or fragment', field('address', 'invalid URL'));
      const publicKey = parseKey(body.publicKey);
      if (body.name === ctx.node.name) throw problems.validation(`"${body.name}" is this node's own name`, field('name', 'is this node'));
      if (publicKey === ctx.node.publicKey) throw problems.validation('publicKey is this node\u2019s own key', field('publicKey', 'is this node\u2019s key'));
      const id = randomUUID();
      const now = deps.now();
      await ctx.unitOfWork(async (tx) => {
        if (await repo.findActivePeerByName(tx, body.name)) throw problems.conflict(`a peer named "${body.name}" is already registered; remove it first`);
        await repo.insertPeer(tx, {
          id,
          name: body.name,
          address,
          publicKey,
          keyId: publicKeyId(publicKey),
          jurisdiction: body.jurisdiction,
          now,
          by: actor.name,
        });
        await ctx.ledger.appendInTx(
          tx,
          entry(actor, 'transfers.peer.registered', `peer:${id}`, meta, { name: body.name, address, publicKey, jurisdiction: body.jurisdiction }),
        );
      });
      const peer = (await repo.findPeer(ctx.db, id))!;
      let mismatches: string[] = [];
      let unreachable: string | null = null;
      try {
        mismatches = await verifyPeer(peer);
      } catch (err) {
        if (err instanceof IdentityFetchError && err.kind === 'invalid') mismatches = [err.message];
        else if (err instanceof IdentityFetchError || err instanceof EgressRequestError || err instanceof EgressRefusedError) unreachable = err.message;
        else throw err;
      }
      if (mismatches.length) {
        const detail = `peer ${body.name} at ${address} does not match its registration: ${mismatches.join('; ')}`;
        await ctx.unitOfWork(async (tx) => {
          await repo.setPeerStatus(tx, id, 'removed');
          await ctx.ledger.appendInTx(tx, {
            ...entry(actor, 'transfers.peer.refused', `peer:${id}`, meta, { name: body.name, address, reason: detail, type: PROBLEM_TYPES.peerMismatch }),
            outcome: 'denied',
          });
        });
        throw markRecorded(problem(409, PROBLEM_TYPES.peerMismatch, 'Peer identity mismatch', detail, field('publicKey', 'does not match the peer')));
      }
      if (unreachable) {
        ctx.logger.warn({ peer: body.name, address, reason: unreachable }, 'peer registered unverified: its identity could not be fetched');
        await ctx.ledger.append(entry(actor, 'transfers.peer.unverified', `peer:${id}`, meta, { name: body.name, reason: unreachable }));
      } else {
        await ctx.ledger.append(entry(actor, 'transfers.peer.verified', `peer:${id}`, meta, { name: body.name, publicKey, jurisdiction: body.jurisdiction }));
      }
      return presentPeer((await repo.findPeer(ctx.db, id))!);
    },

    async listPeers() {
      return { items: (await repo.listPeers(ctx.db)).map(presentPeer) };
    },

    async removePeer(actor, id, meta) {
      const row = await ctx.unitOfWork(async (tx) => {
        const p = isUuid(id) ? await repo.findPeer(tx, id) : null;
        if (!p || p.status !== 'active') throw problems.notFound(`there is no registered peer with id ${id}`);
        await repo.setPeerStatus(tx, id, 'removed');
        await ctx.ledger.appendInTx(tx, entry(actor, 'transfers.peer.removed', `peer:${id}`, meta, { name: p.name }));
        return (await repo.findPeer(tx, id))!;
      });
      return presentPeer(row);
    },

    async listDatasets() {
      const policies = new Map((await repo.listPolicies(ctx.db)).map((p) => [p.scope, p]));
      const counts = await repo.countActiveApprovers(ctx.db);
      const items = [];
      for (const d of [...deps.datasets.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        let records: number | null = null;
        try {
          records = await d.definition.count(ctx.db, {});
        } catch (err) {
          ctx.logger.warn({ err, dataset: d.name }, 'dataset count failed');
        }
        const p = policies.get(d.name) ?? null;
        items.push({
          name: d.name,
          module: d.module,
          collection: d.definition.collection,
          title: d.definition.title,
          description: d.definition.description,
          filters: [...(d.definition.filters ?? [])],
          records,
          policy: p
            ? {
                threshold: p.threshold,
                approvers: counts.get(d.name) ?? 0,
                allowedJurisdictions: effectiveJurisdictions(p, ctx.node.jurisdiction),
                allowedDestinations: p.allowed_destinations,
              }
            : null,
        });
      }
      return { items };
    },

    async addApprover(actor, body, meta) {
      requireDataset(body.dataset, 'dataset');
      const publicKey = parseKey(body.publicKey);
      const name = body.name.trim();
      if (!name) throw problems.validation('name must not be blank', field('name', 'must not be blank'));
      const id = randomUUID();
      const row = await ctx.unitOfWork(async (tx) => {
        const existing = (await repo.listActiveApprovers(tx, body.dataset)).find((a) => a.public_key === publicKey);
        if (existing) throw problems.conflict(`this key is already designated for ${body.dataset} (as "${existing.name}", approver ${existing.id})`);
        await repo.insertApprover(tx, { id, scope: body.dataset, name, publicKey, keyId: publicKeyId(publicKey), now: deps.now(), by: actor.name });
        await ctx.ledger.appendInTx(
          tx,
          entry(actor, 'transfers.approver.designated', `approver:${id}`, meta, { dataset: body.dataset, name, publicKey, keyId: publicKeyId(publicKey) }),
        );
        return (await repo.findApprover(tx, id))!;
      });
      return presentApprover(row);
    },

    async listApprovers(dataset) {
      if (dataset !== undefined) requireDataset(dataset, 'dataset');
      return { items: (await repo.listActiveApprovers(ctx.db, dataset ?? null)).map(presentApprover) };
    },

    async removeApprover(actor, id, meta) {
      const row = await ctx.unitOfWork(async (tx) => {
        const a = isUuid(id) ? await repo.findApprover(tx, id) : null;
        if (!a || a.scope === 'break-glass' || a.removed_ms !== null) throw problems.notFound(`there is no designated dataset approver with id ${id}`);
        await repo.removeApprover(tx, id, deps.now(), actor.name);
        await ctx.ledger.appendInTx(
          tx,
          entry(actor, 'transfers.approver.removed', `approver:${id}`, meta, { dataset: a.scope, name: a.name, keyId: a.key_id }),
        );
        return (await repo.findApprover(tx, id))!;
      });
      return presentApprover(row);
    },

    async putPolicy(actor, body, meta) {
      requireDataset(body.dataset, 'dataset');
      const allowedJurisdictions = [...new Set(body.allowedJurisdictions ?? [])].sort();
      const allowedDestinations = [...new Set(body.allowedDestinations ?? [])].sort();
      const row = await ctx.unitOfWork(async (tx) => {
        const before = await repo.findPolicy(tx, body.dataset);
        await repo.upsertPolicy(tx, {
          scope: body.dataset,
          threshold: body.threshold,
          allowedJurisdictions,
          allowedDestinations,
          now: deps.now(),
          by: actor.name,
        });
        await ctx.ledger.appendInTx(
          tx,
          entry(actor, 'transfers.policy.set', `policy:${body.dataset}`, meta, {
            dataset: body.dataset,
            threshold: body.threshold,
            allowedJurisdictions,
            allowedDestinations,
            before: before
              ? { threshold: before.threshold, allowedJurisdictions: before.allowed_jurisdictions, allowedDestinations: before.allowed_destinations }
              : null,
          }),
        );
        return (await repo.findPolicy(tx, body.dataset))!;
      });
      const n = (await repo.listActiveApprovers(ctx.db, body.dataset)).length;
      return presentPolicy(row, n, ctx.node.jurisdiction);
    },

    async getPolicy(dataset) {
      requireDataset(dataset, 'dataset');
      const row = await repo.findPolicy(ctx.db, dataset);
      if (!row) throw new HttpProblem(404, PROBLEM_TYPES.notFound, 'Not found', `no policy is set for ${dataset}`, field('dataset', 'no policy'));
      const n = (await repo.listActiveApprovers(ctx.db, dataset)).length;
      return presentPolicy(row, n, ctx.node.jurisdiction);
    },
  };
}
