import { isPaddockError } from '@paddock/core';
import { useQueryClient } from '@tanstack/react-query';
import { type ComponentType, useEffect, useMemo, useState } from 'react';
import { Layout } from './components/layout.tsx';
import { ErrorState, Loading } from './components/states.tsx';
import { matchPath, usePathname } from './lib/router.ts';
import {
  clientFor,
  namespaceStore,
  type Session,
  SessionContext,
  tokenStore,
} from './lib/session.ts';
import { AgentDetailPage } from './pages/agent-detail.tsx';
import { AgentsPage } from './pages/agents.tsx';
import { AuditPage } from './pages/audit.tsx';
import { GovernancePage } from './pages/governance.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { RunDetailPage } from './pages/run-detail.tsx';
import { RunsPage } from './pages/runs.tsx';
import { SandboxCreatePage } from './pages/sandbox-create.tsx';
import { SandboxDetailPage } from './pages/sandbox-detail.tsx';
import { SandboxesPage } from './pages/sandboxes.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { TemplateDetailPage } from './pages/template-detail.tsx';
import { TemplatesPage } from './pages/templates.tsx';

type Params = Record<string, string>;

/** Every page by path; the first match wins, so literal paths come before `:name` ones. */
const ROUTES: ReadonlyArray<{ pattern: string; page: ComponentType<{ params: Params }> }> = [
  { pattern: '/', page: OverviewPage },
  { pattern: '/sandboxes', page: SandboxesPage },
  { pattern: '/sandboxes/new', page: SandboxCreatePage },
  { pattern: '/sandboxes/:name', page: SandboxDetailPage },
  { pattern: '/templates', page: TemplatesPage },
  { pattern: '/templates/:scope/:name', page: TemplateDetailPage },
  { pattern: '/agents', page: AgentsPage },
  { pattern: '/agents/:name', page: AgentDetailPage },
  { pattern: '/runs', page: RunsPage },
  { pattern: '/runs/:name', page: RunDetailPage },
  { pattern: '/governance', page: GovernancePage },
  { pattern: '/audit', page: AuditPage },
  { pattern: '/settings', page: SettingsPage },
];

function Router() {
  const pathname = usePathname();
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, pathname);
    if (params) {
      const Page = route.page;
      return <Page params={params} />;
    }
  }
  return <NotFoundPage params={{}} />;
}

type Auth =
  | { state: 'checking' }
  | { state: 'signed-out'; error?: string }
  | { state: 'signed-in'; token: string | undefined; user: Session['user'] }
  | { state: 'failed'; error: unknown };

/** Checks the stored token with the server; shows sign-in until one works. */
export function App() {
  const queryClient = useQueryClient();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [namespace, setNamespaceState] = useState(namespaceStore.get);

  const check = async (token: string | undefined) => {
    setAuth({ state: 'checking' });
    try {
      const me = await clientFor(token, 'default').me();
      tokenStore.set(token);
      setAuth({ state: 'signed-in', token, user: { id: me.id, role: me.role, name: me.name } });
    } catch (error) {
      tokenStore.set(undefined);
      if (isPaddockError(error, 'unauthenticated')) setAuth({ state: 'signed-out' });
      else setAuth({ state: 'failed', error });
    }
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: checks the stored token once.
  useEffect(() => {
    void check(tokenStore.get());
  }, []);

  const session = useMemo<Session | undefined>(() => {
    if (auth.state !== 'signed-in') return undefined;
    return {
      client: clientFor(auth.token, namespace),
      namespace,
      setNamespace: (next) => {
        namespaceStore.set(next);
        setNamespaceState(next);
        void queryClient.invalidateQueries();
      },
      user: auth.user,
      token: auth.token,
      signOut: () => {
        tokenStore.set(undefined);
        queryClient.clear();
        setAuth({ state: 'signed-out' });
      },
    };
  }, [auth, namespace, queryClient]);

  if (auth.state === 'checking') return <Loading what="Connecting to Paddock" />;
  if (auth.state === 'failed') {
    return (
      <main className="sign-in">
        <ErrorState error={auth.error} retry={() => void check(tokenStore.get())} />
      </main>
    );
  }
  if (auth.state === 'signed-out' || !session) {
    return <SignIn onSignedIn={(token) => void check(token)} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Router />
      </Layout>
    </SessionContext.Provider>
  );
}
