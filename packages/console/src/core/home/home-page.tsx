import type { Checkpoint } from '@kotwal/contracts';
import { ledgerApi } from '../../api/endpoints.ts';
import { errorMessage } from '../../api/client.ts';
import { Link } from '../../router.tsx';
import { useSession } from '../auth/session.tsx';
import { PageHeader, Section } from '../../ui/page.tsx';
import { Alert, Badge, EmptyState, Spinner } from '../../ui/feedback.tsx';
import { formatDateTime, formatRelative, shortHash } from '../../ui/format.ts';
import { useAsync } from '../../ui/use-async.ts';
import { buildNavigation, modulePath } from '../layout/nav.ts';
import { verifyCheckpoint } from '../ledger/verify.ts';

export function HomePage() {
  const { me, system, can } = useSession();
  const nav = buildNavigation(system, can).filter((g) => g.label === 'Administration' || g.label === 'Audit');
  return (
    <>
      <PageHeader title="Overview" description={`Signed in as ${me.displayName ?? me.username}.`} />
      <div className="grid-3">
        <Section title="This node" testId="home-node">
          {system ? (
            <dl className="kv">
              <dt>Node</dt>
              <dd className="mono">{system.nodeName}</dd>
              <dt>Version</dt>
              <dd>{system.version}</dd>
              <dt>Database</dt>
              <dd>{system.database === 'pglite' ? 'Embedded (PGlite)' : 'PostgreSQL'}</dd>
              <dt>Events</dt>
              <dd>{system.eventTransport}</dd>
            </dl>
          ) : (
            <Spinner />
          )}
        </Section>
        <Section title="Systems" testId="home-systems">
          {system && system.modules.length === 0 ? (
            <EmptyState title="No systems installed">This node runs the platform core only.</EmptyState>
          ) : (
            <ul className="link-list">
              {(system?.modules ?? []).map((m) => (
                <li key={m.name}>
                  <Link to={modulePath(m.name)}>{m.title}</Link> {m.programmeName ? <Badge>{m.programmeName}</Badge> : null}
                </li>
              ))}
            </ul>
          )}
        </Section>
        {can('ledger.read') ? <LedgerStatus expectedOrigin={system?.nodeName ?? null} /> : null}
      </div>
      {nav.length ? (
        <Section title="Administration & audit">
          <ul className="link-list link-list-inline">
            {nav
              .flatMap((g) => g.items)
              .map((i) => (
                <li key={i.path}>
                  <Link to={i.path}>{i.label}</Link>
                </li>
              ))}
          </ul>
        </Section>
      ) : null}
    </>
  );
}

function LedgerStatus({ expectedOrigin }: { expectedOrigin: string | null }) {
  const cp = useAsync<Checkpoint>(() => ledgerApi.latestCheckpoint(), []);
  const v = cp.data ? verifyCheckpoint(cp.data, { expectedOrigin }) : null;
  return (
    <Section title="Ledger" testId="home-ledger">
      {cp.error ? <Alert tone="warning">{errorMessage(cp.error)}</Alert> : null}
      {cp.loading && !cp.data ? <Spinner /> : null}
      {cp.data && v ? (
        <dl className="kv">
          <dt>Checkpoint</dt>
          <dd>{v.ok ? <Badge tone="success">signature verified</Badge> : <Badge tone="danger">verification FAILED</Badge>}</dd>
          <dt>Tree size</dt>
          <dd className="num">{cp.data.treeSize.toLocaleString()}</dd>
          <dt>Signed</dt>
          <dd title={formatDateTime(cp.data.timestamp)}>{formatRelative(cp.data.timestamp)}</dd>
          <dt>Root</dt>
          <dd className="mono">{shortHash(cp.data.rootHash, 16)}</dd>
        </dl>
      ) : null}
      <p className="small">
        <Link to="/ledger">Open the ledger</Link>
      </p>
    </Section>
  );
}
