/**
 * What the egress gateway throws. A refusal happens before any socket is
 * opened; `reason` says precisely why (it becomes the problem detail when it
 * reaches an HTTP route: 403 egress-refused).
 */
import type { EgressPurpose } from '#core/context.ts';

export class EgressRefusedError extends Error {
  override name = 'EgressRefusedError';
  constructor(
    /** Precise reason, e.g. "transfer 4f… is revoked". */
    readonly reason: string,
    /** The URL without credentials, query or fragment. */
    readonly url: string,
    /** `host:port`, or null when the URL could not be parsed. */
    readonly destination: string | null,
    /** The server purpose, or 'operator' for a client-mode (CLI) gateway. */
    readonly purpose: EgressPurpose | { kind: 'operator' },
  ) {
    super(`egress refused: ${destination ?? url}: ${reason}`);
  }
}

/** The request was allowed but failed on the way (timeout, connection error, response too large). */
export class EgressRequestError extends Error {
  override name = 'EgressRequestError';
  constructor(
    message: string,
    readonly url: string,
    readonly code: 'timeout' | 'too-large' | 'network',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
