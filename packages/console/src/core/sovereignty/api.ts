/**
 * Typed calls to the sovereignty API: node identity, peers, datasets,
 * approvers and policies, transfers and their approvals, break-glass
 * grants, ledger witnesses and cosignatures. Every payload type is the
 * contracts' TypeBox schema (Type.Static), never a second definition.
 */
import type {
  ApprovalBody,
  Approver,
  ApproverBody,
  ApproverList,
  Checkpoint,
  CheckpointList,
  CosignatureList,
  DatasetList,
  Grant,
  GrantApproverBody,
  GrantBody,
  GrantForSigning,
  GrantList,
  GrantPolicy,
  GrantPolicyBody,
  ManifestForSigning,
  NodeIdentity,
  Peer,
  PeerBody,
  PeerList,
  Policy,
  PolicyBody,
  RevokeBody,
  Transfer,
  TransferBody,
  TransferCreated,
  TransferList,
  TransferListQuery,
  WitnessBody,
  WitnessWithLatest,
  WitnessWithLatestList,
} from '@kotwal/contracts';
import { apiClient } from '../../api/client.ts';

const seg = (s: string | number): string => encodeURIComponent(String(s));
const T = '/api/v1/transfers';
const G = '/api/v1/grants';

export const nodeApi = {
  identity: () => apiClient.get<NodeIdentity>('/api/v1/node'),
};

export const transfersApi = {
  list: (q: TransferListQuery, signal?: AbortSignal) => apiClient.get<TransferList>(T, { query: { ...q }, ...(signal ? { signal } : {}) }),
  get: (id: string, signal?: AbortSignal) => apiClient.get<Transfer>(`${T}/${seg(id)}`, signal ? { signal } : {}),
  manifest: (id: string) => apiClient.get<ManifestForSigning>(`${T}/${seg(id)}/manifest`),
  request: (body: TransferBody) => apiClient.post<TransferCreated>(T, body),
  approve: (id: string, body: ApprovalBody) => apiClient.post<Transfer>(`${T}/${seg(id)}/approvals`, body),
  execute: (id: string) => apiClient.post<Transfer>(`${T}/${seg(id)}/execute`),
  revoke: (id: string, body: RevokeBody) => apiClient.post<Transfer>(`${T}/${seg(id)}/revoke`, body),
  datasets: () => apiClient.get<DatasetList>(`${T}/datasets`),
};

export const peersApi = {
  list: () => apiClient.get<PeerList>(`${T}/peers`),
  register: (body: PeerBody) => apiClient.post<Peer>(`${T}/peers`, body),
  remove: (id: string) => apiClient.delete<Peer>(`${T}/peers/${seg(id)}`),
};

export const approversApi = {
  list: (dataset?: string) => apiClient.get<ApproverList>(`${T}/approvers`, { query: { dataset } }),
  designate: (body: ApproverBody) => apiClient.post<Approver>(`${T}/approvers`, body),
  remove: (id: string) => apiClient.delete<Approver>(`${T}/approvers/${seg(id)}`),
};

export const policyApi = {
  get: (dataset: string) => apiClient.get<Policy>(`${T}/policy`, { query: { dataset } }),
  set: (body: PolicyBody) => apiClient.put<Policy>(`${T}/policy`, body),
};

export const grantsApi = {
  list: (signal?: AbortSignal) => apiClient.get<GrantList>(G, signal ? { signal } : {}),
  get: (id: string, signal?: AbortSignal) => apiClient.get<Grant>(`${G}/${seg(id)}`, signal ? { signal } : {}),
  manifest: (id: string) => apiClient.get<GrantForSigning>(`${G}/${seg(id)}/manifest`),
  request: (body: GrantBody) => apiClient.post<Grant>(G, body),
  approve: (id: string, body: ApprovalBody) => apiClient.post<Grant>(`${G}/${seg(id)}/approvals`, body),
  revoke: (id: string, body: RevokeBody) => apiClient.post<Grant>(`${G}/${seg(id)}/revoke`, body),
  approvers: () => apiClient.get<ApproverList>(`${G}/approvers`),
  designate: (body: GrantApproverBody) => apiClient.post<Approver>(`${G}/approvers`, body),
  removeApprover: (id: string) => apiClient.delete<Approver>(`${G}/approvers/${seg(id)}`),
  policy: () => apiClient.get<GrantPolicy>(`${G}/policy`),
  setPolicy: (body: GrantPolicyBody) => apiClient.put<GrantPolicy>(`${G}/policy`, body),
};

export const witnessesApi = {
  list: () => apiClient.get<WitnessWithLatestList>('/api/v1/ledger/witnesses'),
  register: (body: WitnessBody) => apiClient.post<WitnessWithLatest>('/api/v1/ledger/witnesses', body),
  remove: (id: string) => apiClient.delete<WitnessWithLatest>(`/api/v1/ledger/witnesses/${seg(id)}`),
  checkpoints: (limit: number, before?: number) => apiClient.get<CheckpointList>('/api/v1/ledger/checkpoints', { query: { limit, before } }),
  checkpoint: (treeSize: number) => apiClient.get<Checkpoint>(`/api/v1/ledger/checkpoints/${seg(treeSize)}`),
  cosignatures: (treeSize: number) => apiClient.get<CosignatureList>(`/api/v1/ledger/checkpoints/${seg(treeSize)}/cosignatures`),
};
