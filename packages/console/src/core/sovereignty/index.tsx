/**
 * Sovereignty screens, mounted at /sovereignty (see core/layout/routes.tsx):
 * transfers and their approvals, peers, datasets with their approvers and
 * policies, break-glass grants, and ledger witnesses. Each screen is offered
 * only to holders of the permission its API requires (nav.ts).
 */
import type { ReactNode } from 'react';
import { Link } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { allowed } from '../layout/nav.ts';
import { EmptyState } from '../../ui/feedback.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { SOVEREIGNTY_SCREENS, type SovereigntyScreen } from './nav.ts';
import { TransfersScreen } from './transfers-page.tsx';
import { TransferDetailScreen } from './transfer-detail.tsx';
import { PeersScreen } from './peers-page.tsx';
import { DatasetsScreen } from './datasets-page.tsx';
import { GrantDetailScreen, GrantsScreen } from './grants-page.tsx';
import { WitnessesScreen } from './witnesses-page.tsx';
import './sovereignty.css';

interface Route {
  screen: SovereigntyScreen | null;
  render: () => ReactNode;
}

export default function SovereigntyScreens({ subPath }: { subPath: string }) {
  const { can } = useSession();
  const parts = subPath.split('/').filter(Boolean).map(decodeURIComponent);
  const route = resolve(parts, (s) => allowed(SOVEREIGNTY_SCREENS[s], can));
  if (route.screen && !allowed(SOVEREIGNTY_SCREENS[route.screen], can)) {
    return (
      <>
        <PageHeader title={SOVEREIGNTY_SCREENS[route.screen].label} />
        <EmptyState title="Not permitted">
          Your roles do not allow this screen. An administrator can grant the permission through a role. <Link to="/">Back to the overview</Link>
        </EmptyState>
      </>
    );
  }
  return (
    <div className="sov" data-testid="sovereignty-screen">
      {route.render()}
    </div>
  );
}

function resolve(parts: string[], permitted: (s: SovereigntyScreen) => boolean): Route {
  const [head, arg, ...rest] = parts;
  if (rest.length) return notFound();
  switch (head) {
    case undefined: {
      const first = (Object.keys(SOVEREIGNTY_SCREENS) as SovereigntyScreen[]).find(permitted) ?? 'transfers';
      return resolve([first], permitted);
    }
    case 'transfers':
      return { screen: 'transfers', render: () => (arg === undefined ? <TransfersScreen /> : <TransferDetailScreen key={arg} id={arg} />) };
    case 'peers':
      return arg === undefined ? { screen: 'peers', render: () => <PeersScreen /> } : notFound();
    case 'datasets':
      return arg === undefined ? { screen: 'datasets', render: () => <DatasetsScreen /> } : notFound();
    case 'grants':
      return { screen: 'grants', render: () => (arg === undefined ? <GrantsScreen /> : <GrantDetailScreen key={arg} id={arg} />) };
    case 'witnesses':
      return arg === undefined ? { screen: 'witnesses', render: () => <WitnessesScreen /> } : notFound();
    default:
      return notFound();
  }
}

function notFound(): Route {
  return {
    screen: null,
    render: () => (
      <>
        <PageHeader title="Not found" />
        <EmptyState title="There is nothing at this address">
          <Link to="/">Back to the overview</Link>
        </EmptyState>
      </>
    ),
  };
}
