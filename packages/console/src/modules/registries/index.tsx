/**
 * Registries (DES) console: accountable search and person profiles, the
 * "who looked at me" access log, extract imports with their reject reports,
 * and the oversight screens (alerts, blocked officers, canary records).
 *
 * Mounted at /systems/registries; routes inside itself on `subPath`. Each
 * screen is offered only to holders of the permission its API requires.
 */
import type { ReactNode } from 'react';
import type { Permission } from '@kotwal/contracts';
import type { ModuleScreenProps } from '../index.ts';
import { modulePath } from '../../core/layout/nav.ts';
import { useSession } from '../../core/auth/session.tsx';
import { Link } from '../../router.tsx';
import { EmptyState } from '../../ui/feedback.tsx';
import { PageHeader } from '../../ui/page.tsx';
import { CaseContextBar } from './case-context.tsx';
import { SearchScreen } from './search-page.tsx';
import { PersonScreen } from './person-page.tsx';
import { AccessLogScreen } from './access-log-page.tsx';
import { ImportDetailScreen, ImportsScreen } from './imports-page.tsx';
import { AlertsScreen } from './alerts-page.tsx';
import './registries.css';

type Section = 'search' | 'access-log' | 'imports' | 'alerts';

interface Tab {
  section: Section;
  path: string;
  label: string;
  anyOf: readonly Permission[];
}

const TABS: readonly Tab[] = [
  { section: 'search', path: '/search', label: 'Search', anyOf: ['registries.read'] },
  { section: 'access-log', path: '/access-log', label: 'Who looked at me', anyOf: ['registries.access-log.read'] },
  { section: 'imports', path: '/imports', label: 'Imports', anyOf: ['registries.import'] },
  { section: 'alerts', path: '/alerts', label: 'Alerts', anyOf: ['registries.oversight', 'registries.supervise'] },
];

/** Permissions that send registry queries (and so need the case context). */
const QUERYING: readonly Permission[] = ['registries.read', 'registries.access-log.read'];

interface Route {
  section: Section | null;
  render: () => ReactNode;
}

export default function RegistriesScreen({ module, subPath }: ModuleScreenProps) {
  const { can } = useSession();
  const base = modulePath(module.name);
  const tabs = TABS.filter((t) => t.anyOf.some(can));
  const parts = subPath.split('/').filter(Boolean).map(decodeURIComponent);
  const route = resolve(parts, base, tabs);
  const allowedHere = route.section === null || tabs.some((t) => t.section === route.section);
  const queries = QUERYING.some(can);

  return (
    <div className="registries" data-testid="registries-screen">
      <PageHeader
        title={module.programmeName ? `${module.title} (${module.programmeName})` : module.title}
        description="Consolidated registry records. Every query names its legal basis and case, and is recorded in the ledger."
      />
      {tabs.length ? (
        <nav className="reg-tabs" aria-label="Registries screens" data-testid="registries-nav">
          {tabs.map((t) => (
            <Link
              key={t.section}
              to={`${base}${t.path}`}
              className={`reg-tab${route.section === t.section ? ' active' : ''}`}
              aria-current={route.section === t.section ? 'page' : undefined}
              data-testid={`registries-tab-${t.section}`}
            >
              {t.label}
            </Link>
          ))}
        </nav>
      ) : null}
      {queries ? <CaseContextBar /> : null}
      {tabs.length === 0 ? (
        <EmptyState title="Not permitted">Your roles grant no access to the registries. An administrator can grant it through a role.</EmptyState>
      ) : !allowedHere ? (
        <EmptyState title="Not permitted">
          Your roles do not allow this screen. <Link to={base}>Back to the registries</Link>
        </EmptyState>
      ) : (
        route.render()
      )}
    </div>
  );
}

function resolve(parts: string[], base: string, tabs: readonly Tab[]): Route {
  const [head, arg, ...rest] = parts;
  if (rest.length) return notFound(base);
  switch (head) {
    case undefined: {
      const first = tabs[0];
      return first ? resolve([first.path.slice(1)], base, tabs) : { section: null, render: () => null };
    }
    case 'search':
      return arg === undefined ? { section: 'search', render: () => <SearchScreen base={base} /> } : notFound(base);
    case 'persons':
      return arg ? { section: 'search', render: () => <PersonScreen key={arg} base={base} refId={arg} /> } : notFound(base);
    case 'access-log':
      return { section: 'access-log', render: () => <AccessLogScreen key={arg ?? ''} base={base} cnic={arg ?? null} /> };
    case 'imports':
      return arg === undefined
        ? { section: 'imports', render: () => <ImportsScreen base={base} /> }
        : { section: 'imports', render: () => <ImportDetailScreen key={arg} base={base} id={arg} /> };
    case 'alerts':
      return arg === undefined ? { section: 'alerts', render: () => <AlertsScreen /> } : notFound(base);
    default:
      return notFound(base);
  }
}

function notFound(base: string): Route {
  return {
    section: null,
    render: () => (
      <EmptyState title="There is nothing at this address">
        <Link to={base}>Back to the registries</Link>
      </EmptyState>
    ),
  };
}
