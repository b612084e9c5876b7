/**
 * What the navigation offers: the core screens the user's permissions
 * allow, and the systems (modules) this node actually runs, as listed by
 * GET /api/v1/system/info.
 */
import type { Permission, SystemInfo } from '@kotwal/contracts';
import { SOVEREIGNTY_SCREENS } from '../sovereignty/nav.ts';

export interface NavItem {
  path: string;
  label: string;
  /** Shown to holders of any of these; none = everyone signed in. */
  anyOf?: readonly Permission[];
  testId: string;
  hint?: string;
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export const CORE_SCREENS = {
  home: { path: '/', label: 'Overview', testId: 'nav-home' },
  users: { path: '/users', label: 'Users', anyOf: ['users.read'], testId: 'nav-users' },
  roles: { path: '/roles', label: 'Roles & permissions', anyOf: ['roles.read'], testId: 'nav-roles' },
  tokens: { path: '/tokens', label: 'API tokens', anyOf: ['tokens.read'], testId: 'nav-tokens' },
  ledger: { path: '/ledger', label: 'Ledger', anyOf: ['ledger.read'], testId: 'nav-ledger' },
  account: { path: '/account', label: 'My account', testId: 'nav-account' },
} as const satisfies Record<string, NavItem>;

export type CoreScreen = keyof typeof CORE_SCREENS;

export function allowed(item: NavItem, can: (p: Permission) => boolean): boolean {
  return !item.anyOf || item.anyOf.some(can);
}

export function modulePath(name: string): string {
  return `/systems/${encodeURIComponent(name)}`;
}

export function buildNavigation(system: SystemInfo | null, can: (p: Permission) => boolean): NavGroup[] {
  const groups: NavGroup[] = [{ label: 'Console', items: [CORE_SCREENS.home] }];
  const modules = system?.modules ?? [];
  if (modules.length) {
    groups.push({
      label: 'Systems',
      items: modules.map((m) => ({
        path: modulePath(m.name),
        label: m.title,
        testId: `nav-module-${m.name}`,
        ...(m.programmeName ? { hint: m.programmeName } : {}),
      })),
    });
  }
  const sovereignty: NavItem[] = Object.values(SOVEREIGNTY_SCREENS).filter((i) => allowed(i, can));
  if (sovereignty.length) groups.push({ label: 'Sovereignty', items: sovereignty });
  const admin = [CORE_SCREENS.users, CORE_SCREENS.roles, CORE_SCREENS.tokens].filter((i) => allowed(i, can));
  if (admin.length) groups.push({ label: 'Administration', items: admin });
  const audit = [CORE_SCREENS.ledger].filter((i) => allowed(i, can));
  if (audit.length) groups.push({ label: 'Audit', items: audit });
  return groups;
}
