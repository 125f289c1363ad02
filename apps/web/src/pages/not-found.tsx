import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';

/** Any path no route matches. */
export function NotFoundPage(_props: { params: Record<string, string> }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <div className="state empty">
        <p>
          Nothing lives at <code>{window.location.pathname}</code>. The link may be old, or the
          resource was deleted.
        </p>
        <p>
          <Link to="/">Go to the overview</Link> · <Link to="/sandboxes">Sandboxes</Link> ·{' '}
          <Link to="/runs">Runs</Link>
        </p>
      </div>
    </>
  );
}
