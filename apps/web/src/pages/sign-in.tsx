import { isPaddockError } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { fetchAuthConfig, type OidcClientConfig, startSsoSignIn } from '../lib/oidc.ts';
import { clientFor } from '../lib/session.ts';
import './sign-in.css';

/** "Sign in with SSO": sends the browser to the identity provider (see lib/oidc.ts). */
function SsoSignIn({ oidc }: { oidc: OidcClientConfig }) {
  const [isLeaving, setLeaving] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const start = async () => {
    setLeaving(true);
    setProblem(undefined);
    try {
      await startSsoSignIn(oidc);
    } catch (caught) {
      setProblem(caught instanceof Error ? caught.message : String(caught));
      setLeaving(false);
    }
  };
  return (
    <section className="sso" aria-labelledby="sso-title">
      <h2 id="sso-title" className="visually-hidden">
        Single sign-on
      </h2>
      <button
        className="button primary"
        type="button"
        onClick={() => void start()}
        disabled={isLeaving}
        aria-describedby="sso-help"
      >
        {isLeaving ? 'Going to your identity provider…' : 'Sign in with SSO'}
      </button>
      <p id="sso-help" className="muted small">
        With your organisation's account at {new URL(oidc.issuer).host}.
      </p>
      {problem ? (
        <p className="form-error" role="alert">
          {problem}
        </p>
      ) : null}
      <p className="sso-or muted small">or with a key</p>
    </section>
  );
}

/**
 * Sign-in: "Sign in with SSO" when the server has an OIDC client, and always an API key
 * (`pdk_…`) or an OIDC access token pasted by hand; both are bearer tokens to the server. On a
 * loopback server without auth, "Continue" works without one. `error`: why the last sign-in failed.
 */
export function SignIn({
  onSignedIn,
  error,
}: {
  onSignedIn: (token: string | undefined) => void;
  error?: string;
}) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | undefined>(error);
  const [isBusy, setBusy] = useState(false);
  const authConfig = useQuery({ queryKey: ['auth-config'], queryFn: fetchAuthConfig });
  const oidc = authConfig.data?.oidc;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const candidate = token.trim() || undefined;
    try {
      await clientFor(candidate, 'default').me();
      onSignedIn(candidate);
    } catch (caught) {
      setProblem(
        isPaddockError(caught, 'unauthenticated')
          ? candidate
            ? 'That key or token was not accepted.'
            : 'This server needs an API key or an OIDC token.'
          : caught instanceof Error
            ? caught.message
            : String(caught),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <div className="card sign-in-card">
        <h1 id="sign-in-title">Paddock</h1>
        <p className="muted">Run AI agents in isolated sandboxes, and watch them work.</p>
        {problem ? (
          <p className="form-error" role="alert">
            {problem}
          </p>
        ) : null}
        {oidc ? <SsoSignIn oidc={oidc} /> : null}
        {authConfig.isError ? (
          <p className="muted small" role="status">
            Single sign-on options could not be loaded; an API key still works.
          </p>
        ) : null}
        <form onSubmit={submit} aria-labelledby="sign-in-title">
          <label htmlFor="token">API key or OIDC token</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="off"
            placeholder="pdk_…"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-describedby="token-help"
          />
          <p id="token-help" className="muted small">
            Create one with <code>paddock apikey create NAME</code>. It is kept in this tab only.
            Leave it empty on a local server without auth.
          </p>
          <button
            className={`button ${oidc ? 'ghost' : 'primary'}`}
            type="submit"
            disabled={isBusy}
          >
            {isBusy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
