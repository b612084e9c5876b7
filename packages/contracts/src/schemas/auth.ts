import Type from 'typebox';
import { Str } from './common.ts';

/** Usernames: 2-64 of lower-case letters, digits, dot, underscore, hyphen; starting with a letter or digit. */
export const USERNAME_PATTERN = '^[a-z0-9][a-z0-9._-]{1,63}$';
export const Username = Str(64, { pattern: USERNAME_PATTERN, description: 'lower-case letters, digits, dot, underscore, hyphen' });
export const Password = Type.String({ minLength: 1, maxLength: 256 });
export const TotpCode = Type.String({ pattern: '^[0-9]{6}$', description: 'six-digit TOTP code' });

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Password,
    totp: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'TOTP code, or a recovery code' })),
  },
  { additionalProperties: false },
);
export type LoginRequest = Type.Static<typeof LoginRequest>;

export const SessionState = Type.Union([Type.Literal('active'), Type.Literal('password-change-required'), Type.Literal('mfa-enrollment-required')]);
export type SessionState = Type.Static<typeof SessionState>;

export const Me = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  permissions: Type.Array(Type.String()),
  mfaEnabled: Type.Boolean(),
  mfaRequired: Type.Boolean(),
  state: SessionState,
  sessionExpiresAt: Type.Optional(Type.String({ description: 'idle expiry of the current session' })),
});
export type Me = Type.Static<typeof Me>;

export const LoginResponse = Type.Object({
  user: Me,
  csrfToken: Type.String({ description: 'send in the x-csrf-token header on state-changing requests' }),
});
export type LoginResponse = Type.Static<typeof LoginResponse>;

export const PasswordChangeRequest = Type.Object({ currentPassword: Password, newPassword: Password }, { additionalProperties: false });
export type PasswordChangeRequest = Type.Static<typeof PasswordChangeRequest>;

export const MfaEnrollResponse = Type.Object({
  secret: Type.String({ description: 'base32 TOTP secret (SHA-1, 6 digits, 30 s)' }),
  otpauthUrl: Type.String(),
});
export type MfaEnrollResponse = Type.Static<typeof MfaEnrollResponse>;

export const MfaVerifyRequest = Type.Object({ code: TotpCode }, { additionalProperties: false });
export type MfaVerifyRequest = Type.Static<typeof MfaVerifyRequest>;

export const MfaVerifyResponse = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: 'shown once; each works once in place of a TOTP code' }),
  user: Me,
});
export type MfaVerifyResponse = Type.Static<typeof MfaVerifyResponse>;

/** Password policy, enforced by the server and shown by the console. */
export const PASSWORD_POLICY = {
  minLength: 12,
  maxLength: 256,
  minClasses: 3,
  description:
    'At least 12 characters with at least three of: lower-case, upper-case, digits, symbols; not containing the username; different from the current password.',
} as const;

/** Returns the reasons a password breaks the policy (empty when it is acceptable). */
export function passwordPolicyViolations(password: string, username: string): string[] {
  const out: string[] = [];
  if ([...password].length < PASSWORD_POLICY.minLength) out.push(`must be at least ${PASSWORD_POLICY.minLength} characters`);
  if (password.length > PASSWORD_POLICY.maxLength) out.push(`must be at most ${PASSWORD_POLICY.maxLength} characters`);
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes < PASSWORD_POLICY.minClasses) out.push('must mix at least three of lower-case, upper-case, digits and symbols');
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())) out.push('must not contain the username');
  return out;
}
