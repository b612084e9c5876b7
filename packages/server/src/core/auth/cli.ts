/**
 * `kotwal users ...`: account administration from the server's shell, for
 * the first steps and for recovery (an administrator locked out of MFA).
 * Every change is ledgered with actor type `system` and actor id
 * `cli:<operating-system user>`.
 */
import os from 'node:os';
import { Command } from 'commander';
import { BUILT_IN_ROLES, type User } from '@kotwal/contracts';
import type { CoreContext } from '#core/context.ts';
import { HttpProblem } from '#core/http/problem.ts';
import { withCliContext } from '../../cli-context.ts';
import { createAuthService, ensureBuiltInRoles, type AuthService } from './service.ts';
import { NO_REQUEST, systemActor, type Actor } from './service-support.ts';

export interface UsersCommandIo {
  /** Opens the database, ledger and events for one command (default: withCliContext). */
  withContext: <T>(fn: (ctx: CoreContext) => Promise<T>) => Promise<T>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Called with 1 when the input was refused. */
  fail: (code: number) => void;
  /** Operating-system user recorded as the actor. */
  osUser: () => string;
}

function currentOsUser(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  }
}

const defaultIo: UsersCommandIo = {
  withContext: withCliContext,
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  fail: (code) => {
    process.exitCode = code;
  },
  osUser: currentOsUser,
};

const BUILT_IN = Object.keys(BUILT_IN_ROLES).join(', ');

/** An input the command refuses (unknown user, role...): message, exit code 1. */
class CliRefusal extends Error {}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function stateOf(u: User): string {
  if (u.disabled) return 'disabled';
  if (u.lockedUntil) return `locked until ${u.lockedUntil}`;
  if (u.mustChangePassword) return 'must change password';
  return 'active';
}

export function formatUserTable(users: readonly User[]): string {
  const header = ['USERNAME', 'DISPLAY NAME', 'ROLES', 'STATE', 'MFA', 'LAST SIGN-IN'];
  const rows = users.map((u) => [u.username, u.displayName ?? '', u.roles.join(',') || '-', stateOf(u), u.mfaEnabled ? 'yes' : 'no', u.lastLoginAt ?? 'never']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function usersCommand(overrides: Partial<UsersCommandIo> = {}): Command {
  const io: UsersCommandIo = { ...defaultIo, ...overrides };

  /** Runs an action with the auth service, turning refusals into a message and exit code 1. */
  const act =
    <A extends unknown[]>(fn: (auth: AuthService, actor: Actor, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      try {
        await io.withContext(async (ctx) => {
          // The command may run before the server ever started on this database.
          await ensureBuiltInRoles(ctx);
          await fn(createAuthService(ctx), systemActor(`cli:${io.osUser()}`), ...args);
        });
      } catch (err) {
        if (err instanceof HttpProblem || err instanceof CliRefusal) {
          io.err(`kotwal users: ${err.message}\n`);
          io.fail(1);
          return;
        }
        throw err;
      }
    };

  const findUser = async (auth: AuthService, username: string): Promise<User> => {
    const user = await auth.findUser(username);
    if (!user) throw new CliRefusal(`no user named "${username}" (see: kotwal users list)`);
    return user;
  };

  const users = new Command('users').description('manage user accounts (each change is recorded in the ledger)');

  users
    .command('create')
    .description('create a user with a one-time password, printed once')
    .requiredOption('--username <username>', 'login name: 2-64 lower-case letters, digits, dot, underscore, hyphen')
    .option('--role <role>', `role to grant; repeat for several (built in: ${BUILT_IN})`, collect)
    .option('--display-name <name>', 'name shown in the console')
    .addHelpText('after', '\nExample:\n  kotwal users create --username asha --role investigator --display-name "Asha Rao"\n')
    .action(
      act(async (auth, actor, opts: { username: string; role?: string[]; displayName?: string }) => {
        if (!opts.role?.length) throw new CliRefusal(`give at least one --role (built in: ${BUILT_IN})`);
        const created = await auth.createUser(
          actor,
          { username: opts.username, roles: opts.role, ...(opts.displayName ? { displayName: opts.displayName } : {}) },
          NO_REQUEST,
        );
        io.out(`created user "${created.user.username}" with role(s) ${created.user.roles.join(', ')}\n`);
        io.out(`one-time password: ${created.oneTimePassword}\n`);
      }),
    );

  users
    .command('list')
    .description('list user accounts with their roles and state')
    .action(
      act(async (auth) => {
        io.out(formatUserTable((await auth.listUsers()).items));
      }),
    );

  users
    .command('disable')
    .description('disable an account; its sessions end at once')
    .argument('<username>', 'the account to disable')
    .action(
      act(async (auth, actor, username: string) => {
        const user = await findUser(auth, username);
        if (user.disabled) {
          io.out(`user "${user.username}" is already disabled\n`);
          return;
        }
        await auth.updateUser(actor, user.id, { disabled: true }, NO_REQUEST);
        io.out(`disabled user "${user.username}"\n`);
      }),
    );

  users
    .command('enable')
    .description('re-enable a disabled account (also clears a lockout)')
    .argument('<username>', 'the account to enable')
    .action(
      act(async (auth, actor, username: string) => {
        const user = await findUser(auth, username);
        if (!user.disabled) {
          io.out(`user "${user.username}" is already enabled\n`);
          return;
        }
        await auth.updateUser(actor, user.id, { disabled: false }, NO_REQUEST);
        io.out(`enabled user "${user.username}"\n`);
      }),
    );

  users
    .command('reset-mfa')
    .description('remove a user\u2019s TOTP and recovery codes; they enrol again at next sign-in')
    .argument('<username>', 'the account whose MFA to reset')
    .action(
      act(async (auth, actor, username: string) => {
        const user = await findUser(auth, username);
        await auth.resetMfa(actor, user.id, NO_REQUEST);
        io.out(`reset MFA of user "${user.username}"; they must enrol again at next sign-in\n`);
      }),
    );

  users
    .command('reset-password')
    .description('issue a new one-time password (printed once); ends the user\u2019s sessions and clears a lockout')
    .argument('<username>', 'the account whose password to reset')
    .action(
      act(async (auth, actor, username: string) => {
        const user = await findUser(auth, username);
        const { oneTimePassword } = await auth.resetPassword(actor, user.id, NO_REQUEST);
        io.out(`reset the password of user "${user.username}"\n`);
        io.out(`one-time password: ${oneTimePassword}\n`);
      }),
    );

  return users;
}
