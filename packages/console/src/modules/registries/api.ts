/**
 * Typed calls to the registries (DES) API. Every shape is the contracts'
 * TypeBox schema (Static), never a second definition.
 */
import type { Static } from 'typebox';
import type {
  AccessLog,
  Canary as CanarySchema,
  CanaryList as CanaryListSchema,
  ImportList as ImportListSchema,
  ImportReject as ImportRejectSchema,
  ImportRejectList as ImportRejectListSchema,
  ImportSummary,
  LookupResult,
  LookupType,
  PersonProfile,
  RegistryAlert as RegistryAlertSchema,
  RegistryAlertList as RegistryAlertListSchema,
  RegistryBlock as RegistryBlockSchema,
  RegistryBlockList as RegistryBlockListSchema,
  RegistryName,
  RegistryStats as RegistryStatsSchema,
  SearchResult,
} from '@kotwal/contracts';
import { apiClient } from '../../api/client.ts';
import type { CaseContext } from './case-context.tsx';

export type ImportList = Static<typeof ImportListSchema>;
export type ImportReject = Static<typeof ImportRejectSchema>;
export type ImportRejectList = Static<typeof ImportRejectListSchema>;
export type RegistryAlert = Static<typeof RegistryAlertSchema>;
export type RegistryAlertList = Static<typeof RegistryAlertListSchema>;
export type RegistryBlock = Static<typeof RegistryBlockSchema>;
export type RegistryBlockList = Static<typeof RegistryBlockListSchema>;
export type Canary = Static<typeof CanarySchema>;
export type CanaryList = Static<typeof CanaryListSchema>;
export type RegistryStats = Static<typeof RegistryStatsSchema>;

export interface SearchParams {
  name?: string;
  fatherName?: string;
  district?: string;
  birthYearFrom?: number;
  birthYearTo?: number;
  gender?: 'M' | 'F';
  limit?: number;
}

export type ImportFormat = 'csv' | 'jsonl';

const BASE = '/api/v1/registries';
const seg = (s: string): string => encodeURIComponent(s);

/** The accountability parameters every query carries. */
function accountable(ctx: CaseContext): { purpose: string; case: string; covert?: boolean } {
  return { purpose: ctx.purpose, case: ctx.caseRef, ...(ctx.covert ? { covert: true } : {}) };
}

const withSignal = (signal?: AbortSignal) => (signal ? { signal } : {});

/** The CSV download of an import's reject report (a plain link: the session cookie goes with it). */
export function rejectsCsvUrl(id: string): string {
  return `${BASE}/imports/${seg(id)}/rejects?format=csv`;
}

export const CONTENT_TYPES: Record<ImportFormat, string> = { csv: 'text/csv', jsonl: 'application/x-ndjson' };

export const registriesApi = {
  stats: (signal?: AbortSignal) => apiClient.get<RegistryStats>(`${BASE}/stats`, withSignal(signal)),

  search: (q: SearchParams, ctx: CaseContext, signal?: AbortSignal) =>
    apiClient.get<SearchResult>(`${BASE}/search`, { query: { ...q, ...accountable(ctx) }, ...withSignal(signal) }),

  lookup: (type: LookupType, value: string, ctx: CaseContext, signal?: AbortSignal) =>
    apiClient.get<LookupResult>(`${BASE}/lookup`, { query: { type, value, ...accountable(ctx) }, ...withSignal(signal) }),

  /** `ref`: a CNIC or a link reference from an earlier answer (one request per hop). */
  person: (ref: string, ctx: CaseContext, signal?: AbortSignal) =>
    apiClient.get<PersonProfile>(`${BASE}/persons/${seg(ref)}`, { query: accountable(ctx), ...withSignal(signal) }),

  accessLog: (cnic: string, ctx: CaseContext, signal?: AbortSignal) =>
    apiClient.get<AccessLog>(`${BASE}/persons/${seg(cnic)}/access-log`, { query: accountable(ctx), ...withSignal(signal) }),

  imports: (signal?: AbortSignal) => apiClient.get<ImportList>(`${BASE}/imports`, withSignal(signal)),
  importSummary: (id: string, signal?: AbortSignal) => apiClient.get<ImportSummary>(`${BASE}/imports/${seg(id)}`, withSignal(signal)),
  rejects: (id: string, offset: number, limit: number, signal?: AbortSignal) =>
    apiClient.get<ImportRejectList>(`${BASE}/imports/${seg(id)}/rejects`, { query: { offset, limit }, ...withSignal(signal) }),
  /** Sends the file as the request body: the browser streams it from disk. */
  upload: (p: { registry: RegistryName; source: string; fileName: string; format: ImportFormat }, file: Blob) =>
    apiClient.request<ImportSummary>('POST', `${BASE}/imports`, {
      query: { registry: p.registry, source: p.source, fileName: p.fileName, format: p.format },
      rawBody: { data: file, contentType: CONTENT_TYPES[p.format] },
    }),

  alerts: (signal?: AbortSignal) => apiClient.get<RegistryAlertList>(`${BASE}/alerts`, withSignal(signal)),
  acknowledgeAlert: (id: string) => apiClient.post<RegistryAlert>(`${BASE}/alerts/${seg(id)}/acknowledge`),
  blocks: (signal?: AbortSignal) => apiClient.get<RegistryBlockList>(`${BASE}/blocks`, withSignal(signal)),
  releaseBlock: (id: string, note: string) => apiClient.post<RegistryBlock>(`${BASE}/blocks/${seg(id)}/release`, { note }),
  canaries: (signal?: AbortSignal) => apiClient.get<CanaryList>(`${BASE}/canaries`, withSignal(signal)),
  addCanary: (cnic: string, note: string) => apiClient.post<Canary>(`${BASE}/canaries`, { cnic, note }),
};
