/**
 * The permission catalogue. Every route declares one of these (or `public`);
 * roles are sets of them. Deny by default: a principal holds only what its
 * roles (or its API token's scope) grant.
 */
export interface PermissionInfo {
  /** What holding it allows, in a sentence an administrator understands. */
  readonly description: string;
  /** Holders must have completed TOTP enrolment and passed MFA at login. */
  readonly requiresMfa: boolean;
  /** The system (module) it belongs to; `core` for the platform itself. */
  readonly system: string;
}

export const PERMISSIONS = {
  'auth.self': { description: 'Use one\u2019s own session: profile, password, MFA enrolment', requiresMfa: false, system: 'core' },
  'users.read': { description: 'List user accounts and their roles', requiresMfa: false, system: 'core' },
  'users.write': { description: 'Create, disable and re-enable accounts, reset passwords and MFA, assign roles', requiresMfa: true, system: 'core' },
  'roles.read': { description: 'List roles and the permission catalogue', requiresMfa: false, system: 'core' },
  'roles.write': { description: 'Create and change roles', requiresMfa: true, system: 'core' },
  'tokens.read': { description: 'List API tokens (never their secrets)', requiresMfa: false, system: 'core' },
  'tokens.write': { description: 'Issue and revoke API tokens for devices and integrations', requiresMfa: true, system: 'core' },
  'ledger.read': { description: 'Read ledger entries, checkpoints and proofs', requiresMfa: false, system: 'core' },
  'ledger.details.read': { description: 'Read the personal-data details records behind ledger entries', requiresMfa: true, system: 'core' },
  'system.metrics': { description: 'Read Prometheus metrics', requiresMfa: false, system: 'core' },
  'registries.read': { description: 'Search and read registry (DES) records (linked persons masked)', requiresMfa: true, system: 'registries' },
  'registries.unmasked': {
    description: 'See full identifiers and addresses of persons linked to a query\u2019s subject',
    requiresMfa: true,
    system: 'registries',
  },
  'registries.covert': { description: 'Mark registry queries as part of a covert investigation (disclosure delayed)', requiresMfa: true, system: 'registries' },
  'registries.import': { description: 'Import registry extracts and read import reports', requiresMfa: true, system: 'registries' },
  'registries.access-log.read': {
    description: 'Read who looked at a person\u2019s records (covert accesses withheld until disclosure)',
    requiresMfa: true,
    system: 'registries',
  },
  'registries.oversight': {
    description: 'Oversight: covert accesses before disclosure, canary records, registry alerts',
    requiresMfa: true,
    system: 'registries',
  },
  'registries.supervise': {
    description: 'Release officers blocked by the registry anomaly control; acknowledge alerts',
    requiresMfa: true,
    system: 'registries',
  },
  'field-assets.read': {
    description: 'See field assets, their live positions, history and alerts (covert cameras excluded)',
    requiresMfa: false,
    system: 'field-assets',
  },
  'field-assets.write': { description: 'Register devices, assign them, edit geofences, acknowledge alerts', requiresMfa: false, system: 'field-assets' },
  'field-assets.covert': { description: 'See covert cameras and where they are (every view ledgered)', requiresMfa: true, system: 'field-assets' },
  'transfers.read': {
    description: 'See peers, datasets, approvers, policies and transfers with their approvals and receipts',
    requiresMfa: false,
    system: 'core',
  },
  'transfers.request': {
    description: 'Request a transfer (replication, bulk export, evidence share); it runs only with the owners\u2019 signatures',
    requiresMfa: true,
    system: 'core',
  },
  'transfers.manage': {
    description: 'Register peers, designate approvers, set dataset policies, execute approved transfers and revoke them',
    requiresMfa: true,
    system: 'core',
  },
  'grants.read': { description: 'See break-glass support grants and what was done under them', requiresMfa: false, system: 'core' },
  'grants.request': { description: 'Request a time-boxed break-glass grant for a support account', requiresMfa: true, system: 'core' },
  'grants.manage': { description: 'Designate break-glass approvers, set the grant policy, revoke grants', requiresMfa: true, system: 'core' },
  'witnesses.manage': { description: 'Register the outside witnesses whose countersignatures the ledger accepts', requiresMfa: true, system: 'core' },
} as const satisfies Record<string, PermissionInfo>;

export type Permission = keyof typeof PERMISSIONS;
export type RoutePermission = Permission | 'public';

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

/** True when any of the permissions obliges its holder to use MFA. */
export function permissionsRequireMfa(perms: readonly string[]): boolean {
  return perms.some((p) => isPermission(p) && PERMISSIONS[p].requiresMfa);
}

/** Roles created by the first migration. Administrators may add more. */
export const BUILT_IN_ROLES: Record<string, { description: string; permissions: Permission[] }> = {
  admin: {
    description: 'Platform administrator: accounts, roles, tokens and the ledger (no registry access by default)',
    permissions: [
      'auth.self',
      'users.read',
      'users.write',
      'roles.read',
      'roles.write',
      'tokens.read',
      'tokens.write',
      'ledger.read',
      'ledger.details.read',
      'system.metrics',
      'transfers.read',
      'transfers.request',
      'transfers.manage',
      'grants.read',
      'grants.request',
      'grants.manage',
      'witnesses.manage',
    ],
  },
  auditor: {
    description: 'Reads the ledger and verifies proofs; changes nothing',
    permissions: ['auth.self', 'ledger.read', 'users.read', 'roles.read', 'transfers.read', 'grants.read'],
  },
  operator: {
    description: 'Command-centre operator: live field assets; registry search with linked persons masked',
    permissions: ['auth.self', 'registries.read', 'field-assets.read'],
  },
  investigator: {
    description: 'Investigating officer with lawful registry search',
    permissions: ['auth.self', 'registries.read', 'registries.unmasked', 'registries.covert'],
  },
  supervisor: {
    description: 'Shift supervisor: releases blocked officers, acknowledges alerts, manages field assets',
    permissions: [
      'auth.self',
      'registries.read',
      'registries.unmasked',
      'registries.supervise',
      'field-assets.read',
      'field-assets.write',
      'field-assets.covert',
    ],
  },
  'registry-steward': {
    description: 'Registry data steward: imports extracts from the source departments',
    permissions: ['auth.self', 'registries.import'],
  },
  oversight: {
    description: 'Oversight officer (data protection, ombudsman liaison): access logs, covert disclosures, canaries, the ledger',
    permissions: ['auth.self', 'registries.access-log.read', 'registries.oversight', 'ledger.read', 'transfers.read', 'grants.read'],
  },
};
