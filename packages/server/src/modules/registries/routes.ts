import type { CoreContext } from '#core/context.ts';
import type { KotwalFastify } from '#core/http/types.ts';
import { importRoutes } from './import/routes.ts';

export async function registriesRoutes(app: KotwalFastify, ctx: CoreContext): Promise<void> {
  await importRoutes(app, ctx);
}
