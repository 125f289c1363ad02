import { useQuery } from '@tanstack/react-query';
import { useSession } from '../../lib/session.ts';
import { Empty, QueryView } from '../states.tsx';
import { TableFrame } from '../table-frame.tsx';

type Port = {
  name: string;
  port: number;
  protocol: 'http' | 'tcp';
  previewPath?: string | undefined;
};

/**
 * Where a port's preview opens, used as the server returns it: `previewUrl` (signed, on the
 * preview origin), or from an older server the same-origin preview path.
 */
function previewHref(port: Port): string | undefined {
  if ('previewUrl' in port && typeof port.previewUrl === 'string') return port.previewUrl;
  return port.previewPath?.startsWith('/api/') ? port.previewPath : undefined;
}

/** Preview URLs are signed for a few minutes: the list is fetched again well before they expire. */
const REFRESH_MS = 60_000;

/** The sandbox's forwarded ports, each http one with a link to its preview. */
export function PortsPanel({ name, isRunning }: { name: string; isRunning: boolean }) {
  const { client, namespace } = useSession();
  const query = useQuery({
    queryKey: ['Sandbox', namespace, name, 'ports'],
    queryFn: () => client.sandboxes.ports(name),
    refetchInterval: REFRESH_MS,
  });
  return (
    <QueryView query={query} what="Loading ports">
      {(list) =>
        list.items.length === 0 ? (
          <Empty title="No forwarded ports">
            The template declares no ports. Add <code>ports</code> to a template to preview a web
            app running in the sandbox, or use <code>paddock sandbox port {name} PORT</code>.
          </Empty>
        ) : (
          <>
            {!isRunning ? (
              <p className="muted">The sandbox is not running: previews answer once it runs.</p>
            ) : null}
            <TableFrame label="Ports">
              <table>
                <caption className="visually-hidden">Ports</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Port</th>
                    <th scope="col">Protocol</th>
                    <th scope="col">Preview</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((port) => {
                    const href = previewHref(port);
                    return (
                      <tr key={port.port}>
                        <td>{port.name}</td>
                        <td>{port.port}</td>
                        <td>{port.protocol}</td>
                        <td>
                          {href ? (
                            <a href={href} target="_blank" rel="noopener noreferrer">
                              Open preview of port {port.port}
                            </a>
                          ) : (
                            <span className="muted">
                              TCP:{' '}
                              <code>
                                paddock sandbox port {name} {port.port}
                              </code>
                            </span>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableFrame>
          </>
        )
      }
    </QueryView>
  );
}
