import { createClient, type PaddockClient } from '@paddock/client';
import { createContext, useContext } from 'react';

const TOKEN_KEY = 'paddock.token';
const NAMESPACE_KEY = 'paddock.namespace';

/**
 * Where the UI keeps the caller's credential: this tab's sessionStorage (gone when the tab
 * closes). Sandbox previews are served from another origin, so no page in a sandbox can read it.
 */
export const tokenStore = {
  get: (): string | undefined => sessionStorage.getItem(TOKEN_KEY) ?? undefined,
  set: (token: string | undefined) =>
    token ? sessionStorage.setItem(TOKEN_KEY, token) : sessionStorage.removeItem(TOKEN_KEY),
};

export const namespaceStore = {
  get: (): string => localStorage.getItem(NAMESPACE_KEY) ?? 'default',
  set: (namespace: string) => localStorage.setItem(NAMESPACE_KEY, namespace),
};

/** A client for this server (same origin), with the token if there is one. */
export function clientFor(token: string | undefined, namespace: string): PaddockClient {
  return createClient({
    baseUrl: window.location.origin,
    namespace,
    ...(token ? { token } : {}),
  });
}

export type Session = {
  client: PaddockClient;
  namespace: string;
  setNamespace(namespace: string): void;
  user: { id: string; role: string; name?: string | undefined };
  token: string | undefined;
  signOut(): void;
};

export const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; only used below the sign-in gate. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in app');
  return session;
}
