/**
 * Structured JSON logs (pino). Requests are logged by route pattern, never by
 * raw URL (paths and query strings may carry registry values), and secrets
 * are redacted wherever they appear.
 */
import pino, { type Logger } from 'pino';
import type { LogLevel } from '#core/config/index.ts';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  'newPassword',
  'currentPassword',
  'oneTimePassword',
  'totp',
  'code',
  'secret',
  'token',
  'csrfToken',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.oneTimePassword',
  '*.totp',
  '*.secret',
  '*.token',
  '*.csrfToken',
];

interface LoggableRequest {
  id?: unknown;
  method?: string;
  url?: string;
  routeOptions?: { url?: string };
  ip?: string;
}

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'kotwal' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req(req: LoggableRequest) {
          return { id: req.id, method: req.method, route: req.routeOptions?.url ?? '(no route)', ip: req.ip };
        },
        res(res: { statusCode?: number }) {
          return { statusCode: res.statusCode };
        },
        err: pino.stdSerializers.err,
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
