import { createContext, useContext, type ReactNode } from 'react';
import type { Me, Permission, SystemInfo } from '@kotwal/contracts';

export interface Session {
  me: Me;
  /** This node and its systems; null until loaded (or when it could not be read). */
  system: SystemInfo | null;
  can: (permission: Permission) => boolean;
  /** Re-reads the session (after a change to one's own account). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ value, children }: { value: Session; children: ReactNode }) {
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in shell');
  return s;
}

export function hasPermission(me: Me, permission: Permission): boolean {
  return me.permissions.includes(permission);
}
