/**
 * Serves the built console (a single-page app) at /, with index.html for
 * client-side routes. API paths never fall back to the page.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { pathOf } from './server.ts';
import type { KotwalFastify } from './types.ts';

export function defaultConsoleDir(): string {
  return path.resolve(import.meta.dirname, '../../../../console/dist');
}

export async function registerConsole(app: KotwalFastify, dir: string | null): Promise<boolean> {
  const root = dir ?? defaultConsoleDir();
  if (!existsSync(path.join(root, 'index.html'))) return false;
  await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { config: { permission: 'public' }, schema: { hide: true } }, async (request, reply) => {
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(pathOf(request));
    } catch {
      return reply.callNotFound();
    }
    if (urlPath.startsWith('/api/') || urlPath === '/api') {
      return reply.callNotFound();
    }
    const rel = path.normalize(urlPath).replace(/^([/\\])+/, '');
    const file = path.join(root, rel);
    if (rel && file.startsWith(root + path.sep) && existsSync(file) && statSync(file).isFile()) {
      const immutable = rel.startsWith('assets/');
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(rel);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
  return true;
}
