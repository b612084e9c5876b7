/**
 * Typed calls to the Kotwal API. Request and response types are the
 * contracts' TypeBox schemas (Type.Static), never a second definition.
 */
import type {
  ApiToken,
  ApiTokenList,
  Checkpoint,
  CreateApiTokenRequest,
  CreateApiTokenResponse,
  CreateUserRequest,
  CreateUserResponse,
  InclusionProof,
  LedgerEntriesQuery,
  LedgerEntryList,
  LoginRequest,
  LoginResponse,
  MfaEnrollResponse,
  MfaVerifyRequest,
  MfaVerifyResponse,
  Ok,
  PasswordChangeRequest,
  PermissionCatalogue,
  ResetPasswordResponse,
  Role,
  RoleList,
  SystemInfo,
  UpdateUserRequest,
  UpsertRoleRequest,
  User,
  UserList,
} from '@kotwal/contracts';
import { apiClient } from './client.ts';

const seg = (s: string): string => encodeURIComponent(s);

export const authApi = {
  login: (body: LoginRequest) => apiClient.post<LoginResponse>('/api/v1/auth/login', body, { anonymousOk: true }),
  /** 401 when not signed in. */
  session: () => apiClient.get<LoginResponse>('/api/v1/auth/session', { anonymousOk: true }),
  logout: () => apiClient.post<Ok>('/api/v1/auth/logout', undefined, { anonymousOk: true }),
  /** Ends one's other sessions and returns this one, renewed (new CSRF token). */
  changePassword: (body: PasswordChangeRequest) => apiClient.post<LoginResponse>('/api/v1/auth/password', body),
  enrollMfa: () => apiClient.post<MfaEnrollResponse>('/api/v1/auth/mfa/enroll'),
  verifyMfa: (body: MfaVerifyRequest) => apiClient.post<MfaVerifyResponse>('/api/v1/auth/mfa/verify', body),
};

export const systemApi = {
  info: () => apiClient.get<SystemInfo>('/api/v1/system/info'),
};

export const usersApi = {
  list: () => apiClient.get<UserList>('/api/v1/users'),
  create: (body: CreateUserRequest) => apiClient.post<CreateUserResponse>('/api/v1/users', body),
  update: (id: string, body: UpdateUserRequest) => apiClient.patch<User>(`/api/v1/users/${seg(id)}`, body),
  resetPassword: (id: string) => apiClient.post<ResetPasswordResponse>(`/api/v1/users/${seg(id)}/reset-password`),
  resetMfa: (id: string) => apiClient.post<User>(`/api/v1/users/${seg(id)}/reset-mfa`),
};

export const rolesApi = {
  list: () => apiClient.get<RoleList>('/api/v1/roles'),
  upsert: (name: string, body: UpsertRoleRequest) => apiClient.put<Role>(`/api/v1/roles/${seg(name)}`, body),
  remove: (name: string) => apiClient.delete<Ok>(`/api/v1/roles/${seg(name)}`),
  permissions: () => apiClient.get<PermissionCatalogue>('/api/v1/permissions'),
};

export const tokensApi = {
  list: () => apiClient.get<ApiTokenList>('/api/v1/tokens'),
  issue: (body: CreateApiTokenRequest) => apiClient.post<CreateApiTokenResponse>('/api/v1/tokens', body),
  revoke: (id: string) => apiClient.post<ApiToken>(`/api/v1/tokens/${seg(id)}/revoke`),
};

export const ledgerApi = {
  entries: (q: LedgerEntriesQuery, signal?: AbortSignal) =>
    apiClient.get<LedgerEntryList>('/api/v1/ledger/entries', { query: q, ...(signal ? { signal } : {}) }),
  latestCheckpoint: () => apiClient.get<Checkpoint>('/api/v1/ledger/checkpoints/latest'),
  inclusionProof: (seq: number, treeSize: number) => apiClient.get<InclusionProof>('/api/v1/ledger/proofs/inclusion', { query: { seq, treeSize } }),
  /** The node's signing key; its exact JSON shape is read defensively (see ledger/public-key.ts). */
  publicKey: () => apiClient.get<unknown>('/api/v1/ledger/public-key'),
};
