import { isPaddockError } from '@paddock/core';
import { useQueryClient } from '@tanstack/react-query';
import { type ComponentType, lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Layout } from './components/layout.tsx';
import { ErrorState, Loading } from './components/states.tsx';
import { completeSsoSignIn, isSsoCallback } from './lib/oidc.ts';
import { matchPath, usePathname } from './lib/router.ts';
import {
  clientFor,
  namespaceStore,
  type Session,
  SessionContext,
  tokenStore,
} from './lib/session.ts';
import { SignIn } from './pages/sign-in.tsx';

// Pages load on first visit: the terminal, the transcript renderer and the forms stay out of the
// first download.
const AgentDetailPage = lazy(() =>
  import('./pages/agent-detail.tsx').then((m) => ({ default: m.AgentDetailPage })),
);
const AgentsPage = lazy(() =>
  import('./pages/agents.tsx').then((m) => ({ default: m.AgentsPage })),
);
const AuditPage = lazy(() => import('./pages/audit.tsx').then((m) => ({ default: m.AuditPage })));
const GovernancePage = lazy(() =>
  import('./pages/governance.tsx').then((m) => ({ default: m.GovernancePage })),
);
const NotFoundPage = lazy(() =>
  import('./pages/not-found.tsx').then((m) => ({ default: m.NotFoundPage })),
);
const OverviewPage = lazy(() =>
  import('./pages/overview.tsx').then((m) => ({ default: m.OverviewPage })),
);
const RunDetailPage = lazy(() =>
  import('./pages/run-detail.tsx').then((m) => ({ default: m.RunDetailPage })),
);
const RunsPage = lazy(() => import('./pages/runs.tsx').then((m) => ({ default: m.RunsPage })));
const SandboxCreatePage = lazy(() =>
  import('./pages/sandbox-create.tsx').then((m) => ({ default: m.SandboxCreatePage })),
);
const SandboxDetailPage = lazy(() =>
  import('./pages/sandbox-detail.tsx').then((m) => ({ default: m.SandboxDetailPage })),
);
const SandboxesPage = lazy(() =>
  import('./pages/sandboxes.tsx').then((m) => ({ default: m.SandboxesPage })),
);
const SnapshotsPage = lazy(() =>
  import('./pages/snapshots.tsx').then((m) => ({ default: m.SnapshotsPage })),
);
const VolumesPage = lazy(() =>
  import('./pages/volumes.tsx').then((m) => ({ default: m.VolumesPage })),
);
const SettingsPage = lazy(() =>
  import('./pages/settings.tsx').then((m) => ({ default: m.SettingsPage })),
);
const TemplateDetailPage = lazy(() =>
  import('./pages/template-detail.tsx').then((m) => ({ default: m.TemplateDetailPage })),
);
const UsagePage = lazy(() => import('./pages/usage.tsx').then((m) => ({ default: m.UsagePage })));
const TemplatesPage = lazy(() =>
  import('./pages/templates.tsx').then((m) => ({ default: m.TemplatesPage })),
);

type Params = Record<string, string>;

/** Every page by path; the first match wins, so literal paths come before `:name` ones. */
const ROUTES: ReadonlyArray<{ pattern: string; page: ComponentType<{ params: Params }> }> = [
  { pattern: '/', page: OverviewPage },
  { pattern: '/sandboxes', page: SandboxesPage },
  { pattern: '/sandboxes/new', page: SandboxCreatePage },
  { pattern: '/sandboxes/:name', page: SandboxDetailPage },
  { pattern: '/snapshots', page: SnapshotsPage },
  { pattern: '/volumes', page: VolumesPage },
  { pattern: '/templates', page: TemplatesPage },
  { pattern: '/templates/:scope/:name', page: TemplateDetailPage },
  { pattern: '/agents', page: AgentsPage },
  { pattern: '/agents/:name', page: AgentDetailPage },
  { pattern: '/runs', page: RunsPage },
  { pattern: '/runs/:name', page: RunDetailPage },
  { pattern: '/governance', page: GovernancePage },
  { pattern: '/usage', page: UsagePage },
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

  /** `refusal`: what to tell the user when the server refuses this token (SSO sign-ins). */
  const check = async (token: string | undefined, refusal?: string) => {
    setAuth({ state: 'checking' });
    try {
      const me = await clientFor(token, 'default').me();
      tokenStore.set(token);
      setAuth({ state: 'signed-in', token, user: { id: me.id, role: me.role, name: me.name } });
    } catch (error) {
      tokenStore.set(undefined);
      if (!isPaddockError(error, 'unauthenticated')) setAuth({ state: 'failed', error });
      else if (refusal) setAuth({ state: 'signed-out', error: `${refusal} ${error.message}` });
      else setAuth({ state: 'signed-out' });
    }
  };

  /** The identity provider's redirect back (`/auth/callback?code&state`): not a page of the app. */
  const finishSso = async () => {
    const outcome = await completeSsoSignIn(window.location.search);
    // The code and state must not stay in the address bar or the history.
    window.history.replaceState(null, '', outcome.returnTo);
    if ('failure' in outcome) setAuth({ state: 'signed-out', error: outcome.failure.message });
    else await check(outcome.idToken, 'The server did not accept the sign-in:');
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: checks the stored token once.
  useEffect(() => {
    if (isSsoCallback(window.location.pathname)) void finishSso();
    else void check(tokenStore.get());
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
    return (
      <SignIn
        onSignedIn={(token) => void check(token)}
        {...(auth.state === 'signed-out' && auth.error ? { error: auth.error } : {})}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Suspense fallback={<Loading what="Loading page" />}>
          <Router />
        </Suspense>
      </Layout>
    </SessionContext.Provider>
  );
}
