/**
 * Idle-timeout awareness.
 *
 * The server ends a session after KOTWAL_SESSION_IDLE_MINUTES without a
 * request and tells us, on login and session reads, when the current one
 * will lapse (`sessionExpiresAt`). Every answered API request slides that
 * deadline. From the first answer we learn the idle window (measured
 * against the server's Date header, so a wrong client clock does not
 * matter); after that each request moves the local deadline forward.
 *
 * Tabs of the same console share one session cookie, so they share
 * activity, sign-in and sign-out over a BroadcastChannel: a tab in the
 * background does not time out while its sibling is in use.
 */

export type IdleMessage = { type: 'activity'; deadline: number } | { type: 'signed-out' } | { type: 'signed-in' };

const MIN_WINDOW_MS = 30_000;
const MAX_WINDOW_MS = 7 * 24 * 3600_000;

export class IdleTracker {
  #windowMs = 0;
  #deadline = 0;
  #listeners = new Set<() => void>();
  #channel: BroadcastChannel | null = null;
  #onRemote: ((m: IdleMessage) => void) | null = null;

  constructor() {
    if (typeof BroadcastChannel !== 'undefined') {
      this.#channel = new BroadcastChannel('kotwal-console-session');
      this.#channel.onmessage = (ev: MessageEvent<IdleMessage>) => {
        const m = ev.data;
        if (m.type === 'activity') {
          if (m.deadline > this.#deadline) {
            this.#deadline = m.deadline;
            this.#emit();
          }
        } else {
          this.#onRemote?.(m);
        }
      };
    }
  }

  /** Called for sign-in and sign-out in another tab. */
  onRemote(fn: (m: IdleMessage) => void): void {
    this.#onRemote = fn;
  }

  /** Learns the idle window from a session read; `serverNow` is the answer's Date header. */
  configure(sessionExpiresAt: string | undefined, serverNow: Date | null): void {
    if (!sessionExpiresAt) {
      this.#windowMs = 0;
      this.#deadline = 0;
      this.#emit();
      return;
    }
    const exp = Date.parse(sessionExpiresAt);
    if (Number.isNaN(exp)) return;
    const now = serverNow ? serverNow.getTime() : Date.now();
    // The Date header has one-second resolution: round the window to whole seconds.
    const windowMs = Math.round((exp - now) / 1000) * 1000;
    this.#windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, windowMs));
    this.touch();
  }

  /** The server answered a signed-in request just now. */
  touch(): void {
    if (this.#windowMs <= 0) return;
    this.#deadline = Date.now() + this.#windowMs;
    this.#channel?.postMessage({ type: 'activity', deadline: this.#deadline } satisfies IdleMessage);
    this.#emit();
  }

  stop(): void {
    this.#windowMs = 0;
    this.#deadline = 0;
    this.#emit();
  }

  broadcast(m: IdleMessage): void {
    this.#channel?.postMessage(m);
  }

  /** Local epoch ms at which the server will consider the session idle; 0 when unknown. */
  get deadline(): number {
    return this.#deadline;
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  subscribe(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}

export const idleTracker = new IdleTracker();
