import type { CurrentUser as CurrentUserInfo } from '@paddock/api';
import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../lib/session.ts';
import { type Theme, useTheme } from '../../lib/theme.ts';
import { QueryView } from '../states.tsx';

const AUTH_METHOD = {
  apikey: 'API key',
  oidc: 'OIDC (single sign-on)',
  anonymous: 'anonymous (dev mode)',
  'sandbox-token': "a sandbox's access token",
  'run-token': "a run's token (read-only, one namespace)",
} as const satisfies Record<CurrentUserInfo['authMethod'], string>;
const THEMES: ReadonlyArray<{ value: Theme; label: string }> = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** Who the server says the caller is. */
export function CurrentUser() {
  const { client } = useSession();
  const me = useQuery({ queryKey: ['me'], queryFn: ({ signal }) => client.me({ signal }) });
  return (
    <QueryView query={me} what="Loading your account">
      {(user) => (
        <dl className="settings-facts">
          <div>
            <dt>User</dt>
            <dd className="mono">{user.id}</dd>
          </div>
          {user.name ? (
            <div>
              <dt>Name</dt>
              <dd>{user.name}</dd>
            </div>
          ) : null}
          {user.email ? (
            <div>
              <dt>Email</dt>
              <dd>{user.email}</dd>
            </div>
          ) : null}
          <div>
            <dt>Role</dt>
            <dd>
              <span className="badge">{user.role}</span>
            </dd>
          </div>
          <div>
            <dt>Signed in with</dt>
            <dd>{AUTH_METHOD[user.authMethod]}</dd>
          </div>
          {user.scope ? (
            <div>
              <dt>Scope</dt>
              <dd>read-only in namespace {user.scope.namespace}</dd>
            </div>
          ) : null}
          {user.groups && user.groups.length > 0 ? (
            <div>
              <dt>Groups</dt>
              <dd>{user.groups.join(', ')}</dd>
            </div>
          ) : null}
        </dl>
      )}
    </QueryView>
  );
}

/** Light, dark or the system's theme, as radio buttons. */
export function ThemeChoice() {
  const [theme, setTheme] = useTheme();
  return (
    <fieldset className="theme-choice">
      <legend>Theme</legend>
      {THEMES.map((option) => (
        <label key={option.value}>
          <input
            type="radio"
            name="settings-theme"
            value={option.value}
            checked={theme === option.value}
            onChange={() => setTheme(option.value)}
          />{' '}
          {option.label}
        </label>
      ))}
    </fieldset>
  );
}
