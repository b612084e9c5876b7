/**
 * Roles: the built-in ones mirror contracts BUILT_IN_ROLES (rewritten at
 * every start, never editable); administrators add their own from the
 * permission catalogue.
 */
import { BUILT_IN_ROLES, isPermission, type PermissionCatalogue, type Role, type RoleList, type UpsertRoleRequest } from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import * as repo from './repository.ts';
import { presentPermissionCatalogue, presentRole } from './presenters.ts';
import {
  NO_REQUEST,
  ROLE_NAME_RE,
  actorFields,
  authProblems,
  effectivePermissions,
  entry,
  type Actor,
  type AuthDeps,
  type RequestMeta,
} from './service-support.ts';

export interface RoleService {
  listRoles(): Promise<RoleList>;
  permissionCatalogue(): PermissionCatalogue;
  putRole(actor: Actor, name: string, input: UpsertRoleRequest, meta: RequestMeta): Promise<{ role: Role; created: boolean }>;
  deleteRole(actor: Actor, name: string, meta: RequestMeta): Promise<void>;
}

const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export function createRoleService(deps: AuthDeps): RoleService {
  const { ctx } = deps;

  function checkName(name: string): void {
    if (!ROLE_NAME_RE.test(name)) {
      throw authProblems.validation(`invalid role name "${name}": use 2-64 lower-case letters, digits, dot, underscore or hyphen, starting with a letter`);
    }
  }

  return {
    async listRoles() {
      return { items: (await repo.listRoles(ctx.db)).map(presentRole) };
    },

    permissionCatalogue() {
      return presentPermissionCatalogue();
    },

    async putRole(actor, name, input, meta) {
      checkName(name);
      if (Object.prototype.hasOwnProperty.call(BUILT_IN_ROLES, name)) {
        throw authProblems.conflict(`"${name}" is a built-in role and cannot be changed; create a role with another name`);
      }
      const unknown = sorted(input.permissions.filter((p) => !isPermission(p)));
      if (unknown.length) {
        throw authProblems.validation(
          `unknown permission${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
          unknown.map((p) => ({ field: '/permissions', message: `"${p}" is not in the permission catalogue` })),
        );
      }
      const permissions = sorted(input.permissions);
      const description = input.description.trim();
      const now = deps.now();
      return ctx.unitOfWork(async (tx) => {
        const before = await repo.findRole(tx, name, { forUpdate: true });
        if (before?.built_in) throw authProblems.conflict(`"${name}" is a built-in role and cannot be changed`);
        if (before && before.description === description && sameList(sorted(before.permissions), permissions)) {
          return { role: presentRole(before), created: false };
        }
        if (actor.type === 'user') {
          const self = await repo.findUserById(tx, actor.id);
          if (self?.roles.includes(name)) {
            const others = await repo.findRoles(
              tx,
              self.roles.filter((r) => r !== name),
            );
            const beforePerms = new Set(effectivePermissions(self.permissions));
            const afterPerms = effectivePermissions([...others.flatMap((r) => r.permissions), ...permissions]);
            if (beforePerms.has('users.write') && !afterPerms.includes('users.write')) {
              throw authProblems.conflict('this change would remove your own users.write permission; ask another administrator');
            }
            const gained = afterPerms.filter((p) => !beforePerms.has(p));
            if (gained.length) {
              throw authProblems.forbidden(`you hold this role: you cannot grant yourself permissions you do not hold (${gained.join(', ')})`);
            }
          }
        }
        await repo.upsertRole(tx, { name, description, permissions, builtIn: false }, now);
        await ctx.ledger.appendInTx(
          tx,
          entry(actorFields(actor), 'roles.role.changed', `role:${name}`, 'allowed', meta, {
            created: !before,
            description,
            before: before ? sorted(before.permissions) : null,
            after: permissions,
          }),
        );
        await ctx.events.emit(tx, 'core.role.changed', { role: name, permissions }, { requestId: meta.requestId });
        const row = await repo.findRole(tx, name);
        return { role: presentRole(row!), created: !before };
      });
    },

    async deleteRole(actor, name, meta) {
      checkName(name);
      await ctx.unitOfWork(async (tx) => {
        const role = await repo.findRole(tx, name, { forUpdate: true });
        if (!role) throw authProblems.notFound(`no role named "${name}"`);
        if (role.built_in) throw authProblems.conflict(`"${name}" is a built-in role and cannot be deleted`);
        const holders = await repo.countRoleHolders(tx, name);
        if (holders) throw authProblems.conflict(`"${name}" is assigned to ${holders} user${holders > 1 ? 's' : ''}; remove it from them first`);
        await repo.deleteRole(tx, name);
        await ctx.ledger.appendInTx(tx, entry(actorFields(actor), 'roles.role.deleted', `role:${name}`, 'allowed', meta, { before: sorted(role.permissions) }));
        await ctx.events.emit(tx, 'core.role.changed', { role: name, permissions: [] }, { requestId: meta.requestId });
      });
    },
  };
}

/**
 * Writes the built-in roles from contracts, so that a new release's
 * catalogue takes effect at start. Each change is ledgered (actor system)
 * and announced; an unchanged role writes nothing. A role that stopped being
 * built in keeps its permissions and becomes an ordinary role.
 */
export async function ensureBuiltInRoles(ctx: CoreContext, now: () => Date = () => new Date()): Promise<void> {
  await ctx.unitOfWork(async (tx) => {
    // One writer at a time when several processes start together.
    await tx.query('LOCK TABLE roles IN SHARE ROW EXCLUSIVE MODE');
    const existing = new Map((await repo.listRoles(tx)).map((r) => [r.name, r]));
    const at = now();
    const system = { actorType: 'system' as const, actorId: 'system' };
    for (const [name, def] of Object.entries(BUILT_IN_ROLES)) {
      const permissions = sorted(def.permissions);
      const prior = existing.get(name);
      if (prior && prior.built_in && prior.description === def.description && sameList(sorted(prior.permissions), permissions)) continue;
      await repo.upsertRole(tx, { name, description: def.description, permissions, builtIn: true }, at);
      await ctx.ledger.appendInTx(
        tx,
        entry(system, 'roles.role.changed', `role:${name}`, 'allowed', NO_REQUEST, {
          builtIn: true,
          created: !prior,
          before: prior ? sorted(prior.permissions) : null,
          after: permissions,
        }),
      );
      await ctx.events.emit(tx, 'core.role.changed', { role: name, permissions });
    }
    for (const role of existing.values()) {
      if (!role.built_in || Object.prototype.hasOwnProperty.call(BUILT_IN_ROLES, role.name)) continue;
      await repo.markRoleCustom(tx, role.name, at);
      await ctx.ledger.appendInTx(
        tx,
        entry(system, 'roles.role.changed', `role:${role.name}`, 'allowed', NO_REQUEST, { builtIn: false, reason: 'no longer built in' }),
      );
    }
  });
}
