/**
 * API tokens for devices and integrations: issued by a signed-in user with
 * a scope no wider than the issuer's own permissions, shown once
 * (`kwt_<random>`), stored as SHA-256, revocable.
 */
import { randomUUID } from 'node:crypto';
import { isPermission, type ApiToken, type ApiTokenList, type CreateApiTokenRequest, type CreateApiTokenResponse } from '@kotwal/contracts';
import * as repo from './repository.ts';
import { newApiTokenSecret, sha256Hex } from './opaque-secrets.ts';
import { presentApiToken } from './presenters.ts';
import { actorFields, authProblems, entry, isUuid, type Actor, type AuthDeps, type RequestMeta } from './service-support.ts';

export interface TokenService {
  listTokens(): Promise<ApiTokenList>;
  issueToken(actor: Actor, input: CreateApiTokenRequest, meta: RequestMeta): Promise<CreateApiTokenResponse>;
  revokeToken(actor: Actor, id: string, meta: RequestMeta): Promise<ApiToken>;
}

export function createTokenService(deps: AuthDeps): TokenService {
  const { ctx } = deps;
  return {
    async listTokens() {
      return { items: (await repo.listApiTokens(ctx.db)).map(presentApiToken) };
    },

    async issueToken(actor, input, meta) {
      if (actor.type !== 'user') throw authProblems.forbidden('API tokens are issued by signed-in users, not by other tokens');
      const permissions = [...new Set(input.permissions)].sort();
      const unknown = permissions.filter((p) => !isPermission(p));
      if (unknown.length) {
        throw authProblems.validation(
          `unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
          unknown.map((p) => ({ field: '/permissions', message: `"${p}" is not in the permission catalogue` })),
        );
      }
      const lacking = permissions.filter((p) => !(actor.permissions as ReadonlySet<string>).has(p));
      if (lacking.length) throw authProblems.forbidden(`a token cannot hold permissions you do not hold: ${lacking.join(', ')}`);
      const now = deps.now();
      let expiresAt: Date | null = null;
      if (input.expiresAt !== undefined) {
        expiresAt = new Date(input.expiresAt);
        if (Number.isNaN(expiresAt.getTime()))
          throw authProblems.validation('expiresAt is not a valid date-time', [{ field: '/expiresAt', message: 'invalid date-time' }]);
        if (expiresAt <= now) throw authProblems.validation('expiresAt must be in the future', [{ field: '/expiresAt', message: 'must be in the future' }]);
      }
      const name = input.name.trim();
      if (!name) throw authProblems.validation('name must not be blank', [{ field: '/name', message: 'must not be blank' }]);
      const secret = newApiTokenSecret();
      const id = randomUUID();
      const row = await ctx.unitOfWork(async (tx) => {
        await repo.insertApiToken(tx, { id, name, tokenHash: sha256Hex(secret), permissions, createdBy: actor.id, now, expiresAt });
        await ctx.ledger.appendInTx(
          tx,
          entry(actorFields(actor), 'tokens.token.issued', `token:${id}`, 'allowed', meta, {
            name,
            permissions,
            expiresAt: expiresAt?.toISOString() ?? null,
          }),
        );
        await ctx.events.emit(tx, 'core.token.issued', { tokenId: id, name }, { requestId: meta.requestId });
        return (await repo.findApiToken(tx, id))!;
      });
      return { token: presentApiToken(row), secret };
    },

    async revokeToken(actor, id, meta) {
      if (!isUuid(id)) throw authProblems.notFound(`no API token with id ${id}`);
      const now = deps.now();
      const row = await ctx.unitOfWork(async (tx) => {
        const token = await repo.findApiToken(tx, id);
        if (!token) throw authProblems.notFound(`no API token with id ${id}`);
        if (!(await repo.revokeApiToken(tx, id, now))) throw authProblems.conflict(`the API token "${token.name}" is already revoked`);
        await ctx.ledger.appendInTx(tx, entry(actorFields(actor), 'tokens.token.revoked', `token:${id}`, 'allowed', meta, { name: token.name }));
        await ctx.events.emit(tx, 'core.token.revoked', { tokenId: id }, { requestId: meta.requestId });
        return (await repo.findApiToken(tx, id))!;
      });
      return presentApiToken(row);
    },
  };
}
