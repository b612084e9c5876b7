import { lazy, Suspense, type ComponentType } from 'react';
import { useLocation } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { EmptyState, Loading } from '../../ui/feedback.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { Link } from '../../router.tsx';
import { ModulePage } from '../../modules/module-page.tsx';
import { allowed, CORE_SCREENS, type CoreScreen } from './nav.ts';
import { HomePage } from '../home/home-page.tsx';

// Administration and audit screens load on first visit.
const UsersPage = lazy(() => import('../users/users-page.tsx'));
const RolesPage = lazy(() => import('../roles/roles-page.tsx'));
const TokensPage = lazy(() => import('../tokens/tokens-page.tsx'));
const LedgerPage = lazy(() => import('../ledger/ledger-page.tsx'));
const AccountPage = lazy(() => import('../account/account-page.tsx'));
const SovereigntyScreens = lazy(() => import('../sovereignty/index.tsx'));

const SCREENS: Record<Exclude<CoreScreen, 'home'>, ComponentType> = {
  users: UsersPage,
  roles: RolesPage,
  tokens: TokensPage,
  ledger: LedgerPage,
  account: AccountPage,
};

export function Routes() {
  const { pathname } = useLocation();
  const { can, system } = useSession();

  if (pathname === '/' || pathname === '') return <HomePage />;

  for (const [key, Screen] of Object.entries(SCREENS) as [Exclude<CoreScreen, 'home'>, ComponentType][]) {
    const item = CORE_SCREENS[key];
    if (pathname === item.path || pathname === `${item.path}/`) {
      if (!allowed(item, can)) return <Forbidden what={item.label} />;
      return (
        <Suspense fallback={<Loading />}>
          <Screen />
        </Suspense>
      );
    }
  }

  const sov = /^\/sovereignty(\/.*)?$/.exec(pathname);
  if (sov) {
    return (
      <Suspense fallback={<Loading />}>
        <SovereigntyScreens subPath={sov[1] ?? '/'} />
      </Suspense>
    );
  }

  const m = /^\/systems\/([^/]+)(\/.*)?$/.exec(pathname);
  if (m) {
    const name = decodeURIComponent(m[1] ?? '');
    if (!system) return <Loading />;
    const mod = system.modules.find((x) => x.name === name);
    if (mod) return <ModulePage module={mod} subPath={m[2] ?? '/'} />;
  }
  return <NotFound />;
}

function Forbidden({ what }: { what: string }) {
  return (
    <>
      <PageHeader title={what} />
      <EmptyState title="Not permitted">
        Your roles do not allow this screen. An administrator can grant the permission through a role. <Link to="/">Back to the overview</Link>
      </EmptyState>
    </>
  );
}

function NotFound() {
  return (
    <>
      <PageHeader title="Not found" />
      <EmptyState title="There is nothing at this address">
        <Link to="/">Back to the overview</Link>
      </EmptyState>
    </>
  );
}
