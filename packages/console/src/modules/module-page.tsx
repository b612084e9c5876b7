import { Suspense } from 'react';
import { consoleModules, type SystemModuleInfo } from './index.ts';
import { PageHeader } from '../ui/page.tsx';
import { EmptyState, Loading } from '../ui/feedback.tsx';

/** /systems/<name>: the module's own screens, or a neutral page when this build has none. */
export function ModulePage({ module, subPath }: { module: SystemModuleInfo; subPath: string }) {
  const Screen = consoleModules[module.name];
  if (Screen) {
    return (
      <Suspense fallback={<Loading />}>
        <Screen module={module} subPath={subPath} />
      </Suspense>
    );
  }
  return (
    <>
      <PageHeader title={module.title} description={module.programmeName ? `Programme name: ${module.programmeName}` : undefined} />
      <EmptyState title="No console screens yet">
        This node runs the <code>{module.name}</code> system, but this build of the console has no screens for it. Its API is available under <code>/api</code>{' '}
        (see <a href="/api/docs">the API documentation</a>).
      </EmptyState>
    </>
  );
}
