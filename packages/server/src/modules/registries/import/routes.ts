import type { CoreContext } from '#core/context.ts';
import type { KotwalFastify } from '#core/http/types.ts';

// Placeholder while the import pipeline is built (replaced in this change).
export async function importRoutes(_app: KotwalFastify, _ctx: CoreContext): Promise<void> {}
