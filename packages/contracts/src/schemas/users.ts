import Type from 'typebox';
import { Str } from './common.ts';
import { Username } from './auth.ts';

export const User = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String()),
  disabled: Type.Boolean(),
  mfaEnabled: Type.Boolean(),
  mustChangePassword: Type.Boolean(),
  lockedUntil: Type.Union([Type.String(), Type.Null()]),
  lastLoginAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
});
export type User = Type.Static<typeof User>;

export const UserList = Type.Object({ items: Type.Array(User) });
export type UserList = Type.Static<typeof UserList>;

export const CreateUserRequest = Type.Object(
  {
    username: Username,
    displayName: Type.Optional(Str(128)),
    roles: Type.Array(Str(64), { maxItems: 32 }),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Type.Static<typeof CreateUserRequest>;

export const CreateUserResponse = Type.Object({
  user: User,
  oneTimePassword: Type.String({ description: 'shown once; must be changed at first login' }),
});
export type CreateUserResponse = Type.Static<typeof CreateUserResponse>;

export const UpdateUserRequest = Type.Object(
  {
    displayName: Type.Optional(Str(128)),
    roles: Type.Optional(Type.Array(Str(64), { maxItems: 32 })),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UpdateUserRequest = Type.Static<typeof UpdateUserRequest>;

export const ResetPasswordResponse = Type.Object({ oneTimePassword: Type.String() });
export type ResetPasswordResponse = Type.Static<typeof ResetPasswordResponse>;

/** Role names: 2-64 of lower-case letters, digits, dot, underscore, hyphen; starting with a letter. */
export const ROLE_NAME_PATTERN = '^[a-z][a-z0-9._-]{1,63}$';
export const RoleName = Str(64, { pattern: ROLE_NAME_PATTERN, description: 'lower-case letters, digits, dot, underscore, hyphen' });

export const Role = Type.Object({
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  builtIn: Type.Boolean(),
  requiresMfa: Type.Boolean(),
});
export type Role = Type.Static<typeof Role>;

export const RoleList = Type.Object({ items: Type.Array(Role) });
export type RoleList = Type.Static<typeof RoleList>;

export const UpsertRoleRequest = Type.Object(
  {
    description: Str(256),
    permissions: Type.Array(Str(64), { maxItems: 128 }),
  },
  { additionalProperties: false },
);
export type UpsertRoleRequest = Type.Static<typeof UpsertRoleRequest>;

export const PermissionCatalogue = Type.Object({
  items: Type.Array(Type.Object({ name: Type.String(), description: Type.String(), requiresMfa: Type.Boolean(), system: Type.String() })),
});
export type PermissionCatalogue = Type.Static<typeof PermissionCatalogue>;

export const ApiToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  permissions: Type.Array(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
});
export type ApiToken = Type.Static<typeof ApiToken>;

export const ApiTokenList = Type.Object({ items: Type.Array(ApiToken) });
export type ApiTokenList = Type.Static<typeof ApiTokenList>;

export const CreateApiTokenRequest = Type.Object(
  {
    name: Str(128),
    permissions: Type.Array(Str(64), { minItems: 1, maxItems: 64 }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type CreateApiTokenRequest = Type.Static<typeof CreateApiTokenRequest>;

export const CreateApiTokenResponse = Type.Object({
  token: ApiToken,
  secret: Type.String({ description: 'shown once; send as Authorization: Bearer <secret>' }),
});
export type CreateApiTokenResponse = Type.Static<typeof CreateApiTokenResponse>;
