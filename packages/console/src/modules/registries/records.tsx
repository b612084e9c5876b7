/**
 * One registry record as the API serves it (RegistryRecordView): its
 * canonical fields, per registry, and its links to persons, each of which
 * expands that person (one request per hop).
 */
import type { ReactNode } from 'react';
import type { RecordLink, RegistryName, RegistryRecordView } from '@kotwal/contracts';
import { Badge } from '../../ui/feedback.tsx';
import { formatDateTime } from '../../ui/format.ts';
import { CnicText, MaskedBadge, PersonLink, PersonName, ScriptText } from './common.tsx';
import { TableHead } from '../../ui/table.tsx';

export const REGISTRY_LABELS: Record<RegistryName, string> = {
  identity: 'Identity cards',
  vehicles: 'Vehicles',
  customs: 'Customs declarations',
  sims: 'SIMs',
  land: 'Land records',
  tax: 'Tax registrations',
  travel: 'Travel and passports',
  foreigners: 'Foreigners sponsored',
  criminal: 'Criminal records',
};

type Data = Record<string, unknown>;

function str(d: Data, k: string): string | null {
  const v = d[k];
  if (v === null || v === undefined || v === '') return null;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function arr(d: Data, k: string): Data[] {
  const v = d[k];
  return Array.isArray(v) ? v.filter((x): x is Data => typeof x === 'object' && x !== null) : [];
}

const dash = <span className="muted">{'\u2014'}</span>;
const text = (v: string | null): ReactNode => (v === null ? dash : v);

/** The record's identifier as a title (registration number, MSISDN, parcel...). */
export function recordTitle(v: RegistryRecordView): string {
  const d = v.data;
  const byRegistry: Record<RegistryName, string | null> = {
    identity: str(d, 'cnic'),
    vehicles: str(d, 'registrationNo'),
    customs: str(d, 'declarationNo'),
    sims: str(d, 'msisdn'),
    land: str(d, 'parcelId'),
    tax: str(d, 'ntn'),
    travel: str(d, 'passportNo'),
    foreigners: str(d, 'registrationNo'),
    criminal: str(d, 'firNo'),
  };
  return byRegistry[v.registry] ?? v.key;
}

function fields(v: RegistryRecordView): [string, ReactNode][] {
  const d = v.data;
  switch (v.registry) {
    case 'identity':
      return [
        ['CNIC', <CnicText key="c" cnic={str(d, 'cnic')} />],
        ['Name', <PersonName key="n" name={str(d, 'name')} nameUrdu={str(d, 'nameUrdu')} />],
        ["Father's name", <PersonName key="f" name={str(d, 'fatherName')} nameUrdu={str(d, 'fatherNameUrdu')} />],
        ['Gender', text(str(d, 'gender'))],
        ['Date of birth', text(str(d, 'dateOfBirth'))],
        ['District', text(str(d, 'district'))],
      ];
    case 'vehicles': {
      const transfers = arr(d, 'transfers');
      return [
        ['Vehicle', [str(d, 'make'), str(d, 'model'), str(d, 'year'), str(d, 'colour')].filter(Boolean).join(' \u00b7 ') || dash],
        ['Chassis / engine', <span key="ce" className="mono">{`${str(d, 'chassisNo') ?? '\u2014'} / ${str(d, 'engineNo') ?? '\u2014'}`}</span>],
        ['Owner CNIC', <CnicText key="o" cnic={str(d, 'ownerCnic')} />],
        ['Registered', `${str(d, 'registeredOn') ?? '\u2014'}, ${str(d, 'district') ?? '\u2014'}`],
        [
          'Transfers',
          transfers.length ? (
            <ul key="t" className="plain-list">
              {transfers.map((t, i) => (
                <li key={i}>
                  {str(t, 'date')}: {str(t, 'fromCnic') ? <CnicText cnic={str(t, 'fromCnic')} /> : <span className="muted">new</span>} {'\u2192'}{' '}
                  <CnicText cnic={str(t, 'toCnic')} />
                </li>
              ))}
            </ul>
          ) : (
            'none'
          ),
        ],
      ];
    }
    case 'customs':
      return [
        ['Date', text(str(d, 'date'))],
        ['Goods', text(str(d, 'description'))],
        ['HS code', text(str(d, 'hsCode'))],
        ['Value (PKR)', text(str(d, 'valuePkr'))],
        ['Port', text(str(d, 'port'))],
        ['Importer', <CnicText key="i" cnic={str(d, 'importerCnic')} />],
        ['Chassis', text(str(d, 'chassisNo'))],
      ];
    case 'sims':
      return [
        ['Operator', text(str(d, 'operator'))],
        [
          'Status',
          <Badge key="s" tone={str(d, 'status') === 'active' ? 'success' : 'neutral'}>
            {str(d, 'status') ?? 'unknown'}
          </Badge>,
        ],
        ['Activated', text(str(d, 'activatedOn'))],
        ['Owner CNIC', <CnicText key="o" cnic={str(d, 'ownerCnic')} />],
      ];
    case 'land':
      return [
        ['Location', [str(d, 'mauza'), str(d, 'tehsil'), str(d, 'district')].filter(Boolean).join(', ') || dash],
        ['Area (kanal)', text(str(d, 'areaKanal'))],
        [
          'Owners',
          <ul key="o" className="plain-list">
            {arr(d, 'owners').map((o, i) => (
              <li key={i}>
                <CnicText cnic={str(o, 'cnic')} /> {'\u00b7'} share {str(o, 'share')}
              </li>
            ))}
          </ul>,
        ],
      ];
    case 'tax':
      return [
        ['Name', <ScriptText key="n" text={str(d, 'name')} />],
        ['Status', text(str(d, 'status'))],
        ['Registered', text(str(d, 'registeredOn'))],
        ['Tax office', text(str(d, 'taxOffice'))],
        ['CNIC', <CnicText key="c" cnic={str(d, 'cnic')} />],
      ];
    case 'travel':
      return [
        ['Name', <ScriptText key="n" text={str(d, 'name')} />],
        ['Passport valid', `${str(d, 'issuedOn') ?? '\u2014'} to ${str(d, 'expiresOn') ?? '\u2014'}`],
        ['CNIC', <CnicText key="c" cnic={str(d, 'cnic')} />],
      ];
    case 'foreigners':
      return [
        ['Name', <ScriptText key="n" text={str(d, 'name')} />],
        ['Nationality', text(str(d, 'nationality'))],
        ['Passport', text(str(d, 'passportNo'))],
        ['Visa', `${str(d, 'visaType') ?? '\u2014'}, arrived ${str(d, 'arrivedOn') ?? '\u2014'}, expires ${str(d, 'visaExpiresOn') ?? '\u2014'}`],
        ['Address', text([str(d, 'address'), str(d, 'district')].filter(Boolean).join(', ') || null)],
        ['Sponsor CNIC', <CnicText key="s" cnic={str(d, 'sponsorCnic')} />],
      ];
    case 'criminal': {
      const sections = d['sections'];
      return [
        ['Police station', `${str(d, 'policeStation') ?? '\u2014'}, ${str(d, 'district') ?? '\u2014'}`],
        ['Registered', text(str(d, 'registeredOn'))],
        ['Sections', Array.isArray(sections) ? sections.map(String).join(', ') : dash],
        [
          'Status',
          <Badge key="s" tone="warning">
            {str(d, 'status') ?? 'unknown'}
          </Badge>,
        ],
        [
          'Persons',
          <ul key="p" className="plain-list">
            {arr(d, 'persons').map((p, i) => (
              <li key={i}>
                <ScriptText text={str(p, 'name')} /> ({str(p, 'role')}) {str(p, 'cnic') ? <CnicText cnic={str(p, 'cnic')} /> : null}
              </li>
            ))}
          </ul>,
        ],
      ];
    }
  }
}

/** Travel movements, oldest first. */
function Movements({ data }: { data: Data }) {
  const moves = arr(data, 'movements');
  if (!moves.length) return <p className="muted small">No recorded entries or exits.</p>;
  return (
    <div className="table-wrap">
      <table className="table table-compact" data-testid="travel-movements">
        <caption className="sr-only">Entries and exits</caption>
        <TableHead columns={['Date', 'Direction', 'Port']} />
        <tbody>
          {moves.map((m, i) => (
            <tr key={i} data-testid="travel-movement">
              <td className="nowrap">{str(m, 'date')}</td>
              <td>{str(m, 'direction')}</td>
              <td>{str(m, 'port')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The persons a record links to: each opens that person's profile. */
export function RecordLinks({ links, base }: { links: readonly RecordLink[]; base: string }) {
  if (!links.length) return null;
  return (
    <ul className="record-links" aria-label="Linked persons">
      {links.map((l) => (
        <li key={`${l.rel}:${l.ref}`}>
          <PersonLink base={base} refId={l.ref} testId="record-link">
            <span className="record-link-rel">{l.rel}</span> <span className="record-link-name">{l.name ?? 'unnamed'}</span>{' '}
            <span className={`mono${l.masked ? ' masked-value' : ''}`} data-masked={l.masked ? 'true' : 'false'}>
              {l.cnic}
            </span>
          </PersonLink>
          {l.masked ? (
            <>
              {' '}
              <MaskedBadge />
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export function RecordCard({ view, base }: { view: RegistryRecordView; base: string }) {
  return (
    <article className="record-card" data-testid={`record-${view.registry}`} data-key={view.key}>
      <header className="record-card-header">
        <h3 className="mono">{recordTitle(view)}</h3>
        <Badge tone="info">{REGISTRY_LABELS[view.registry]}</Badge>
      </header>
      <dl className="kv kv-compact">
        {fields(view).map(([label, value]) => (
          <div key={label} className="kv-row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {view.registry === 'travel' ? <Movements data={view.data} /> : null}
      <RecordLinks links={view.links} base={base} />
      <div className="muted small record-updated" title={view.updatedAt}>
        Updated {formatDateTime(view.updatedAt)}
      </div>
    </article>
  );
}
