import { type ReactNode, useState } from 'react';
import { usePathname } from '../lib/router.ts';
import { useSession } from '../lib/session.ts';
import { type Theme, useTheme } from '../lib/theme.ts';
import { Link } from './link.tsx';

export const NAV: ReadonlyArray<{ path: string; label: string }> = [
  { path: '/', label: 'Overview' },
  { path: '/sandboxes', label: 'Sandboxes' },
  { path: '/snapshots', label: 'Snapshots' },
  { path: '/volumes', label: 'Volumes' },
  { path: '/templates', label: 'Templates' },
  { path: '/agents', label: 'Agents' },
  { path: '/runs', label: 'Runs' },
  { path: '/governance', label: 'Governance' },
  { path: '/usage', label: 'Usage' },
  { path: '/audit', label: 'Audit' },
  { path: '/settings', label: 'Settings' },
];

const isActive = (path: string, current: string) =>
  path === '/' ? current === '/' : current === path || current.startsWith(`${path}/`);

/** The frame of every page: navigation (a drawer at phone width), namespace, theme, user. */
export function Layout({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const { namespace, setNamespace, user, signOut } = useSession();
  const [theme, setTheme] = useTheme();
  const [isMenuOpen, setMenuOpen] = useState(false);
  const [draftNamespace, setDraftNamespace] = useState(namespace);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="button ghost menu-button"
          aria-expanded={isMenuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!isMenuOpen)}
        >
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">Menu</span>
        </button>
        <Link to="/" className="brand">
          Paddock
        </Link>
        <form
          className="namespace"
          onSubmit={(e) => {
            e.preventDefault();
            if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(draftNamespace))
              setNamespace(draftNamespace);
          }}
        >
          <label htmlFor="namespace">Namespace</label>
          <input
            id="namespace"
            value={draftNamespace}
            onChange={(e) => setDraftNamespace(e.target.value)}
            onBlur={() => {
              if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(draftNamespace))
                setNamespace(draftNamespace);
            }}
            size={12}
          />
        </form>
        <label className="theme">
          <span className="visually-hidden">Theme</span>
          <select
            value={theme}
            onChange={(e) => setTheme(e.target.value as Theme)}
            aria-label="Theme"
          >
            <option value="system">System theme</option>
            <option value="light">Light</option>
            <option value="dark">Dark</option>
          </select>
        </label>
        <span className="user" title={user.id}>
          {user.name ?? user.id} <span className="badge">{user.role}</span>
        </span>
        <button type="button" className="button ghost" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav id="nav" className={isMenuOpen ? 'nav open' : 'nav'} aria-label="Main">
        <ul>
          {NAV.map((item) => (
            <li key={item.path}>
              <Link
                to={item.path}
                aria-current={isActive(item.path, pathname) ? 'page' : undefined}
                onClick={() => setMenuOpen(false)}
              >
                {item.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** A page's heading and its actions. */
export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="actions">{children}</div> : null}
    </div>
  );
}
