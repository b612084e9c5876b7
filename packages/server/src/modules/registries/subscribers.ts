/**
 * Registries reacts to no other module's events yet: its alerts and blocks
 * are raised by its own service in the transaction that records them.
 */
import type { CoreContext } from '#core/context.ts';

export function registriesSubscribers(_ctx: CoreContext): void {}
