/**
 * The node keys this browser was told to trust. An auditor who obtained the
 * node's public key out of band (its deployment record, a witness) pins it
 * here; from then on every checkpoint is checked against it, not only
 * against the key the server itself publishes.
 */
import { useCallback, useState } from 'react';

const storageKey = (): string => `kotwal:ledger:pinned-key:${window.location.host}`;

function read(): string | null {
  try {
    return window.localStorage.getItem(storageKey());
  } catch {
    return null;
  }
}

export function usePinnedKey(): { pinned: string | null; pin: (key: string) => void; unpin: () => void } {
  const [pinned, setPinned] = useState<string | null>(read);
  const pin = useCallback((key: string) => {
    try {
      window.localStorage.setItem(storageKey(), key);
    } catch {
      // storage disabled: pin for this page only
    }
    setPinned(key);
  }, []);
  const unpin = useCallback(() => {
    try {
      window.localStorage.removeItem(storageKey());
    } catch {
      // ignore
    }
    setPinned(null);
  }, []);
  return { pinned, pin, unpin };
}
