/**
 * The console's HTTP client.
 *
 * - Same-origin only: the session lives in an HttpOnly cookie the browser
 *   sends by itself (credentials 'same-origin'); nothing is stored in
 *   localStorage.
 * - The CSRF token from login/session is kept in memory and sent as
 *   `x-csrf-token` on every state-changing request.
 * - Errors are RFC 9457 problem details and become a typed ApiError.
 * - A 401 on an authenticated request means the session is gone (expired,
 *   revoked, signed out elsewhere): the app is told so it can return to the
 *   login screen with a message.
 */
import { PROBLEM_TYPES, type Problem, type ProblemType } from '@kotwal/contracts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type FieldError = NonNullable<Problem['errors']>[number];

/** Not a server problem type: the request never got an answer. */
export const NETWORK_PROBLEM = 'urn:kotwal:console:network';
/** Not a server problem type: the answer was not what the API promises. */
export const BAD_RESPONSE_PROBLEM = 'urn:kotwal:console:bad-response';

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldError[];
  readonly requestId: string | undefined;

  constructor(p: {
    status: number;
    type: string;
    title: string;
    detail?: string | undefined;
    errors?: readonly FieldError[] | undefined;
    requestId?: string | undefined;
  }) {
    super(p.detail ? `${p.title}: ${p.detail}` : p.title);
    this.status = p.status;
    this.type = p.type;
    this.title = p.title;
    this.detail = p.detail;
    this.errors = p.errors ?? [];
    this.requestId = p.requestId;
  }

  is(type: ProblemType): boolean {
    return this.type === type;
  }

  /** The message for a field (JSON pointer such as `/username`), if the server named one. */
  fieldError(field: string): string | undefined {
    const key = field.startsWith('/') ? field : `/${field}`;
    return this.errors.find((e) => e.field === key || e.field === field)?.message;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** A readable sentence for any error, for alerts. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail ? `${err.title}: ${err.detail}` : err.title;
  if (err instanceof Error) return err.message;
  return String(err);
}

const SESSION_LOST = new Set<string>([PROBLEM_TYPES.sessionExpired, PROBLEM_TYPES.unauthenticated]);
const OBLIGATIONS = new Set<string>([PROBLEM_TYPES.passwordChangeRequired, PROBLEM_TYPES.mfaEnrollmentRequired]);
const UNSAFE: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** A body sent as it is (e.g. a File, streamed by the browser) with its content type, instead of JSON. */
  rawBody?: { data: BodyInit; contentType: string };
  signal?: AbortSignal;
  /**
   * The caller expects that it may not be signed in (login, resuming a
   * session): a 401 is its answer, not a lost session.
   */
  anonymousOk?: boolean;
}

export interface ApiClientHooks {
  /** A signed-in request got 401: the session is over. */
  onSessionLost?: (err: ApiError) => void;
  /** The server says the user still owes a password change or MFA enrolment. */
  onObligation?: (err: ApiError) => void;
  /** Any request the server answered while signed in (it slides the idle timeout). */
  onActivity?: (serverDate: Date | null) => void;
}

export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function problemFrom(res: Response): Promise<ApiError> {
  const ct = res.headers.get('content-type') ?? '';
  const requestId = res.headers.get('x-request-id') ?? undefined;
  if (ct.includes('json')) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      if (body && typeof body === 'object' && typeof body.title === 'string') {
        return new ApiError({
          status: typeof body.status === 'number' ? body.status : res.status,
          type: typeof body.type === 'string' ? body.type : 'about:blank',
          title: body.title,
          detail: typeof body.detail === 'string' ? body.detail : undefined,
          errors: Array.isArray(body.errors) ? body.errors : undefined,
          requestId: typeof body.requestId === 'string' ? body.requestId : requestId,
        });
      }
    } catch {
      // fall through to a generic problem
    }
  }
  return new ApiError({ status: res.status, type: 'about:blank', title: res.statusText || `HTTP ${res.status}`, requestId });
}

export class ApiClient {
  #csrfToken: string | null = null;
  #hooks: ApiClientHooks;
  readonly #baseUrl: string;

  constructor(opts: { baseUrl?: string; hooks?: ApiClientHooks } = {}) {
    this.#baseUrl = opts.baseUrl ?? '';
    this.#hooks = opts.hooks ?? {};
  }

  setHooks(hooks: ApiClientHooks): void {
    this.#hooks = hooks;
  }

  /** Keeps the session's CSRF token (memory only). */
  setCsrfToken(token: string | null): void {
    this.#csrfToken = token;
  }

  get signedIn(): boolean {
    return this.#csrfToken !== null;
  }

  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
    if (opts.signal) init.signal = opts.signal;
    if (opts.rawBody) {
      headers['content-type'] = opts.rawBody.contentType;
      init.body = opts.rawBody.data;
    } else if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    if (UNSAFE.has(method) && this.#csrfToken) headers['x-csrf-token'] = this.#csrfToken;

    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}${buildQuery(opts.query)}`, init);
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError({ status: 0, type: NETWORK_PROBLEM, title: 'Cannot reach the server', detail: 'check the network connection and try again' });
    }

    if (!res.ok) {
      const problem = await problemFrom(res);
      if (res.status === 401 && !opts.anonymousOk && this.#csrfToken !== null && (SESSION_LOST.has(problem.type) || problem.type === 'about:blank')) {
        this.#csrfToken = null;
        this.#hooks.onSessionLost?.(problem);
      } else if (res.status === 403 && OBLIGATIONS.has(problem.type)) {
        this.#hooks.onObligation?.(problem);
      } else if (this.#csrfToken !== null && res.status !== 401) {
        this.#hooks.onActivity?.(serverDate(res));
      }
      throw problem;
    }
    if (this.#csrfToken !== null || opts.anonymousOk) this.#hooks.onActivity?.(serverDate(res));
    if (res.status === 204) return undefined as T;
    const ct = res.headers.get('content-type') ?? '';
    if (!ct.includes('json')) {
      throw new ApiError({
        status: res.status,
        type: BAD_RESPONSE_PROBLEM,
        title: 'Unexpected response',
        detail: `expected JSON, got ${ct || 'no content type'}`,
      });
    }
    return (await res.json()) as T;
  }

  get<T>(path: string, opts?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  post<T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  put<T>(path: string, body: unknown, opts?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body });
  }

  patch<T>(path: string, body: unknown, opts?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('PATCH', path, { ...opts, body });
  }

  delete<T>(path: string, opts?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('DELETE', path, opts);
  }
}

function serverDate(res: Response): Date | null {
  const d = res.headers.get('date');
  if (!d) return null;
  const t = Date.parse(d);
  return Number.isNaN(t) ? null : new Date(t);
}

/** The one client of this page. */
export const apiClient = new ApiClient();
