/**
 * The sovereignty screens in the navigation, each offered to holders of the
 * permission its API requires. Mounted under /sovereignty (see index.tsx).
 */
import type { NavItem } from '../layout/nav.ts';

export const SOVEREIGNTY_BASE = '/sovereignty';

export const SOVEREIGNTY_SCREENS = {
  transfers: { path: `${SOVEREIGNTY_BASE}/transfers`, label: 'Transfers', anyOf: ['transfers.read'], testId: 'nav-transfers' },
  peers: { path: `${SOVEREIGNTY_BASE}/peers`, label: 'Peers', anyOf: ['transfers.read'], testId: 'nav-peers' },
  datasets: { path: `${SOVEREIGNTY_BASE}/datasets`, label: 'Datasets & approvers', anyOf: ['transfers.read'], testId: 'nav-datasets' },
  grants: { path: `${SOVEREIGNTY_BASE}/grants`, label: 'Break-glass grants', anyOf: ['grants.read'], testId: 'nav-grants' },
  witnesses: { path: `${SOVEREIGNTY_BASE}/witnesses`, label: 'Witnesses', anyOf: ['ledger.read', 'witnesses.manage'], testId: 'nav-witnesses' },
} as const satisfies Record<string, NavItem>;

export type SovereigntyScreen = keyof typeof SOVEREIGNTY_SCREENS;
