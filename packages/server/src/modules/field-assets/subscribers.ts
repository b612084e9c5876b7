/**
 * Reactions to other modules' events. Field assets reacts to none yet: its
 * own alerts go out on the bus (field-assets.*) for the command centre.
 */
import type { CoreContext } from '#core/context.ts';

export function fieldAssetsSubscribers(_ctx: CoreContext): void {
  // none
}
