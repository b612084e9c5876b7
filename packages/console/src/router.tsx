/**
 * A small History API router: the console has a handful of flat routes, so
 * a dependency would add more than it saves. The server answers every
 * non-API path with index.html, so deep links and reloads work.
 */
import { useCallback, useMemo, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

export interface RouterLocation {
  pathname: string;
  search: string;
}

const listeners = new Set<() => void>();
let snapshot: RouterLocation = read();

function read(): RouterLocation {
  return { pathname: window.location.pathname, search: window.location.search };
}

function notify(): void {
  const next = read();
  if (next.pathname === snapshot.pathname && next.search === snapshot.search) return;
  snapshot = next;
  for (const l of listeners) l();
}

window.addEventListener('popstate', notify);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useLocation(): RouterLocation {
  return useSyncExternalStore(subscribe, () => snapshot);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  notify();
}

export function useSearchParams(): [URLSearchParams, (next: URLSearchParams, opts?: { replace?: boolean }) => void] {
  const loc = useLocation();
  const params = useMemo(() => new URLSearchParams(loc.search), [loc.search]);
  const set = useCallback(
    (next: URLSearchParams, opts: { replace?: boolean } = {}): void => {
      const s = next.toString();
      navigate(`${loc.pathname}${s ? `?${s}` : ''}`, opts);
    },
    [loc.pathname],
  );
  return [params, set];
}

function isPlainLeftClick(e: MouseEvent<HTMLAnchorElement>): boolean {
  return e.button === 0 && !e.metaKey && !e.altKey && !e.ctrlKey && !e.shiftKey && !e.defaultPrevented;
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
  children: ReactNode;
}

export function Link({ to, onClick, children, ...rest }: LinkProps) {
  return (
    <a
      href={to}
      onClick={(e) => {
        onClick?.(e);
        if (!isPlainLeftClick(e) || rest.target) return;
        e.preventDefault();
        navigate(to);
      }}
      {...rest}
    >
      {children}
    </a>
  );
}

/** A link that marks itself aria-current="page" when its route is showing. */
export function NavLink({ to, exact, className, ...rest }: LinkProps & { exact?: boolean }) {
  const { pathname } = useLocation();
  const active = exact ? pathname === to : pathname === to || pathname.startsWith(`${to}/`);
  return <Link to={to} aria-current={active ? 'page' : undefined} className={[className, active ? 'active' : ''].filter(Boolean).join(' ')} {...rest} />;
}
