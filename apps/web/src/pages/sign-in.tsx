import { isPaddockError } from '@paddock/core';
import { type FormEvent, useState } from 'react';
import { clientFor } from '../lib/session.ts';

/**
 * Sign-in with an API key (`pdk_…`) or an OIDC access token from the identity provider; both are
 * bearer tokens to the server. On a loopback server without auth, "Continue" works without one.
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
      <form className="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Paddock</h1>
        <p className="muted">Run AI agents in isolated sandboxes, and watch them work.</p>
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
        {problem ? (
          <p className="form-error" role="alert">
            {problem}
          </p>
        ) : null}
        <button className="button primary" type="submit" disabled={isBusy}>
          {isBusy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
