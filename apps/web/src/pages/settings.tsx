import { PageHeader } from '../components/layout.tsx';
import { ApiKeys } from '../components/settings/api-keys.tsx';
import { Credentials } from '../components/settings/credentials.tsx';
import { CurrentUser, ThemeChoice } from '../components/settings/current-user.tsx';
import { useSession } from '../lib/session.ts';
import './settings.css';

/** Account, appearance, API keys and credentials. */
export function SettingsPage(_props: { params: Record<string, string> }) {
  const { namespace } = useSession();
  return (
    <>
      <PageHeader title="Settings" />
      <div className="grid settings-top">
        <section className="card" aria-labelledby="settings-account">
          <h2 id="settings-account">Account</h2>
          <CurrentUser />
        </section>
        <section className="card" aria-labelledby="settings-appearance">
          <h2 id="settings-appearance">Appearance</h2>
          <ThemeChoice />
        </section>
      </div>
      <section aria-labelledby="settings-keys">
        <h2 id="settings-keys">API keys</h2>
        <p className="muted">
          For the CLI (<code>paddock login</code>), the SDK, MCP clients and CI. A key acts with its
          role.
        </p>
        <ApiKeys />
      </section>
      <section aria-labelledby="settings-credentials">
        <h2 id="settings-credentials">Credentials in {namespace}</h2>
        <p className="muted">
          Named secrets (provider keys, tokens) that sandboxes and agents use as declared. Values
          are write-only.
        </p>
        <Credentials />
      </section>
    </>
  );
}
