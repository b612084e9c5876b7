/**
 * The HTTP(S) client behind the gateway: node:http / node:https (never the
 * global fetch), an overall deadline per request, a cap on the response
 * size, no redirects followed (a 3xx comes back as it is, so a redirect
 * cannot lead past the policy), and no proxy environment variables honoured.
 * Only the gateway calls this, after its policy allowed the destination.
 */
import http from 'node:http';
import https from 'node:https';
import type { EgressRequest, EgressResponse } from '#core/context.ts';
import { EgressRequestError } from './errors.ts';
import { redactUrl } from './destination.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface Agents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

export function createAgents(opts: { keepAlive?: boolean; maxSockets?: number } = {}): Agents {
  const o = { keepAlive: opts.keepAlive ?? true, ...(opts.maxSockets ? { maxSockets: opts.maxSockets, maxFreeSockets: opts.maxSockets } : {}) };
  const a = { http: new http.Agent(o), https: new https.Agent(o) };
  return {
    ...a,
    destroy() {
      a.http.destroy();
      a.https.destroy();
    },
  };
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function response(status: number, headers: Record<string, string>, body: Buffer): EgressResponse {
  return {
    status,
    headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

/** Sends one request; the caller has already checked the destination. */
export function sendHttp(url: URL, req: EgressRequest, agents: Agents): Promise<EgressResponse> {
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') return Promise.reject(new Error(`sendHttp: ${url.protocol} is not HTTP`));
  const lib = isHttps ? https : http;
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const safe = redactUrl(url);
  const body = req.body === undefined ? null : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : Buffer.from(req.body);
  const headers: Record<string, string> = { 'user-agent': 'kotwal', ...(req.headers ?? {}) };
  if (body) headers['content-length'] = String(body.length);
  else if ((req.method ?? 'GET').toUpperCase() !== 'GET' && (req.method ?? 'GET').toUpperCase() !== 'HEAD') headers['content-length'] = '0';

  return new Promise<EgressResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const r = lib.request(url, { method: (req.method ?? 'GET').toUpperCase(), headers, agent: isHttps ? agents.https : agents.http });
    const timer = setTimeout(() => {
      const e = new EgressRequestError(`no answer from ${url.origin} within ${timeoutMs} ms`, safe, 'timeout');
      fail(e);
      r.destroy(e);
    }, timeoutMs);
    r.on('error', (err) =>
      fail(err instanceof EgressRequestError ? err : new EgressRequestError(`${url.origin}: ${err.message}`, safe, 'network', { cause: err })),
    );
    r.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        const e = new EgressRequestError(`the response from ${url.origin} declares ${declared} bytes; the limit is ${maxBytes}`, safe, 'too-large');
        fail(e);
        res.destroy();
        r.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          const e = new EgressRequestError(`the response from ${url.origin} exceeds ${maxBytes} bytes`, safe, 'too-large');
          fail(e);
          res.destroy();
          r.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('error', (err) => fail(new EgressRequestError(`${url.origin}: ${err.message}`, safe, 'network', { cause: err })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response(res.statusCode ?? 0, flattenHeaders(res.headers), Buffer.concat(chunks)));
      });
    });
    r.end(body ?? undefined);
  });
}
