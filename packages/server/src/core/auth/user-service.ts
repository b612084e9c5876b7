/**
 * Account administration: create, change roles, disable and enable, reset
 * password or MFA. Each change commits with its ledger entry and event.
 * Guard rails: nobody disables themself, removes their own users.write, or
 * grants themself permissions they do not already hold (four eyes).
 */
import { randomUUID } from 'node:crypto';
import type { CreateUserRequest, CreateUserResponse, ResetPasswordResponse, UpdateUserRequest, User, UserList } from '@kotwal/contracts';
import { generateOneTimePassword, hashPassword } from './passwords.ts';
import * as repo from './repository.ts';
import type { UserRow } from './repository.ts';
import { presentUser } from './presenters.ts';
import {
  USERNAME_RE,
  actorFields,
  authProblems,
  effectivePermissions,
  entry,
  isUniqueViolation,
  isUuid,
  type Actor,
  type AuthDeps,
  type RequestMeta,
  type Tx,
} from './service-support.ts';

export interface UserService {
  listUsers(): Promise<UserList>;
  getUser(id: string): Promise<User>;
  /** For the command line: find by username. */
  findUser(username: string): Promise<User | null>;
  createUser(actor: Actor, input: CreateUserRequest, meta: RequestMeta): Promise<CreateUserResponse>;
  updateUser(actor: Actor, id: string, patch: UpdateUserRequest, meta: RequestMeta): Promise<User>;
  resetPassword(actor: Actor, id: string, meta: RequestMeta): Promise<ResetPasswordResponse>;
  resetMfa(actor: Actor, id: string, meta: RequestMeta): Promise<User>;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** Roles must exist; returns them de-duplicated and sorted, or throws 400 naming the unknown ones. */
export async function checkRoles(q: Tx, names: readonly string[]): Promise<{ names: string[]; permissions: string[] }> {
  const wanted = [...new Set(names)].sort();
  const rows = await repo.findRoles(q, wanted);
  const found = new Set(rows.map((r) => r.name));
  const unknown = wanted.filter((n) => !found.has(n));
  if (unknown.length) {
    throw authProblems.validation(
      `unknown role${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`,
      unknown.map((n) => ({ field: '/roles', message: `no role named "${n}"` })),
    );
  }
  return { names: wanted, permissions: [...new Set(rows.flatMap((r) => r.permissions))].sort() };
}

export function createUserService(deps: AuthDeps): UserService {
  const { ctx } = deps;

  async function mustFind(q: Tx, id: string, forUpdate = false): Promise<UserRow> {
    const row = isUuid(id) ? await repo.findUserById(q, id, { forUpdate }) : null;
    if (!row) throw authProblems.notFound(`no user with id ${id}`);
    return row;
  }

  const isSelf = (actor: Actor, userId: string) => actor.type === 'user' && actor.id === userId;

  return {
    async listUsers() {
      const now = deps.now();
      return { items: (await repo.listUsers(ctx.db)).map((r) => presentUser(r, now)) };
    },

    async getUser(id) {
      return presentUser(await mustFind(ctx.db, id), deps.now());
    },

    async findUser(username) {
      const row = await repo.findUserByUsername(ctx.db, username.trim().toLowerCase());
      return row ? presentUser(row, deps.now()) : null;
    },

    async createUser(actor, input, meta) {
      const username = input.username.trim();
      if (!USERNAME_RE.test(username)) {
        throw authProblems.validation(
          `invalid username "${input.username}": use 2-64 lower-case letters, digits, dot, underscore or hyphen, starting with a letter or digit`,
          [{ field: '/username', message: 'does not match the username pattern' }],
        );
      }
      const displayName = input.displayName?.trim() || null;
      const oneTimePassword = generateOneTimePassword(username);
      const hash = await hashPassword(oneTimePassword);
      const id = randomUUID();
      const now = deps.now();
      try {
        const row = await ctx.unitOfWork(async (tx) => {
          const roles = await checkRoles(tx, input.roles);
          if (await repo.findUserByUsername(tx, username)) throw authProblems.conflict(`a user named "${username}" already exists`);
          await repo.insertUser(tx, { id, username, displayName, passwordHash: hash, mustChangePassword: true, now });
          await repo.setUserRoles(tx, id, roles.names, now);
          await ctx.ledger.appendInTx(
            tx,
            entry(actorFields(actor), 'users.user.created', `user:${id}`, 'allowed', meta, { username, displayName, roles: roles.names }),
          );
          await ctx.events.emit(tx, 'core.user.created', { userId: id, username, roles: roles.names }, { requestId: meta.requestId });
          return (await repo.findUserById(tx, id))!;
        });
        return { user: presentUser(row, now), oneTimePassword };
      } catch (err) {
        if (isUniqueViolation(err)) throw authProblems.conflict(`a user named "${username}" already exists`);
        throw err;
      }
    },

    async updateUser(actor, id, patch, meta) {
      const now = deps.now();
      const row = await ctx.unitOfWork(async (tx) => {
        const user = await mustFind(tx, id, true);
        const self = isSelf(actor, user.id);
        if (self && patch.disabled === true) throw authProblems.conflict('you cannot disable your own account');
        const resource = `user:${user.id}`;

        if (patch.roles !== undefined) {
          const next = await checkRoles(tx, patch.roles);
          if (!sameSet(next.names, user.roles)) {
            if (self) {
              const before = new Set(effectivePermissions(user.permissions));
              const after = effectivePermissions(next.permissions);
              if (before.has('users.write') && !after.includes('users.write')) {
                throw authProblems.conflict('you cannot remove your own users.write permission; ask another administrator');
              }
              const gained = after.filter((p) => !before.has(p));
              if (gained.length) {
                throw authProblems.forbidden(`you cannot grant yourself permissions you do not hold (${gained.join(', ')}); ask another administrator`);
              }
            }
            await repo.setUserRoles(tx, user.id, next.names, now);
            await ctx.ledger.appendInTx(
              tx,
              entry(actorFields(actor), 'users.user.roles-changed', resource, 'allowed', meta, {
                username: user.username,
                before: user.roles,
                after: next.names,
              }),
            );
            await ctx.events.emit(tx, 'core.user.roles-changed', { userId: user.id, roles: next.names }, { requestId: meta.requestId });
          }
        }

        if (patch.displayName !== undefined) {
          const displayName = patch.displayName.trim() || null;
          if (displayName !== user.display_name) {
            await repo.updateUserProfile(tx, user.id, { displayName }, now);
            await ctx.ledger.appendInTx(
              tx,
              entry(actorFields(actor), 'users.user.updated', resource, 'allowed', meta, { username: user.username, displayName }),
            );
          }
        }

        if (patch.disabled !== undefined && patch.disabled !== user.disabled) {
          await repo.updateUserProfile(tx, user.id, { disabled: patch.disabled }, now);
          if (patch.disabled) {
            const ended = await repo.revokeUserSessions(tx, user.id, 'disabled', now);
            await ctx.ledger.appendInTx(
              tx,
              entry(actorFields(actor), 'users.user.disabled', resource, 'allowed', meta, { username: user.username, sessionsEnded: ended }),
            );
            await ctx.events.emit(tx, 'core.user.disabled', { userId: user.id, username: user.username }, { requestId: meta.requestId });
          } else {
            await ctx.ledger.appendInTx(tx, entry(actorFields(actor), 'users.user.enabled', resource, 'allowed', meta, { username: user.username }));
            await ctx.events.emit(tx, 'core.user.enabled', { userId: user.id, username: user.username }, { requestId: meta.requestId });
          }
        }
        return (await repo.findUserById(tx, user.id))!;
      });
      return presentUser(row, now);
    },

    async resetPassword(actor, id, meta) {
      const now = deps.now();
      const target = await mustFind(ctx.db, id);
      if (isSelf(actor, target.id)) throw authProblems.conflict('change your own password with POST /api/v1/auth/password');
      const oneTimePassword = generateOneTimePassword(target.username);
      const hash = await hashPassword(oneTimePassword);
      await ctx.unitOfWork(async (tx) => {
        const user = await mustFind(tx, id, true);
        await repo.setPassword(tx, user.id, hash, true, now);
        const ended = await repo.revokeUserSessions(tx, user.id, 'password-reset', now);
        await ctx.ledger.appendInTx(
          tx,
          entry(actorFields(actor), 'users.user.password-reset', `user:${user.id}`, 'allowed', meta, { username: user.username, sessionsEnded: ended }),
        );
      });
      return { oneTimePassword };
    },

    async resetMfa(actor, id, meta) {
      const now = deps.now();
      const row = await ctx.unitOfWork(async (tx) => {
        const user = await mustFind(tx, id, true);
        if (isSelf(actor, user.id)) throw authProblems.conflict('another administrator (or the command line) must reset your MFA');
        await repo.clearMfa(tx, user.id, now);
        const ended = await repo.revokeUserSessions(tx, user.id, 'mfa-reset', now);
        await ctx.ledger.appendInTx(
          tx,
          entry(actorFields(actor), 'auth.mfa.reset', `user:${user.id}`, 'allowed', meta, {
            username: user.username,
            wasEnabled: user.mfa_enabled,
            sessionsEnded: ended,
          }),
        );
        return (await repo.findUserById(tx, user.id))!;
      });
      return presentUser(row, now);
    },
  };
}
