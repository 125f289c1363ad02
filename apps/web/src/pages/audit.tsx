import type { AuditRecord } from '@paddock/api';
import type { PaddockClient } from '@paddock/client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { auditCsv, download } from '../components/audit/audit-export.ts';
import { type AuditFilter, AuditFilters } from '../components/audit/audit-filters.tsx';
import { AuditTable } from '../components/audit/audit-table.tsx';
import { PageHeader } from '../components/layout.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { useSession } from '../lib/session.ts';
import './audit.css';

const PAGE_SIZE = 100;
/** Export of every matching record stops here, so one click cannot pull an unbounded log. */
const EXPORT_MAX_PAGES = 50;

async function fetchAll(client: PaddockClient, filter: AuditFilter): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let token: string | undefined;
  for (let page = 0; page < EXPORT_MAX_PAGES; page++) {
    const list = await client.audit.list({
      ...filter,
      limit: 1000,
      ...(token ? { continue: token } : {}),
    });
    records.push(...list.items);
    token = list.metadata.continue;
    if (!token) break;
  }
  return records;
}

/** The audit log: filters, pages ("Load more"), and CSV or JSON export. */
export function AuditPage(_props: { params: Record<string, string> }) {
  const { client } = useSession();
  const [filter, setFilter] = useState<AuditFilter>({});
  const [isAllPages, setAllPages] = useState(false);
  const [exportState, setExportState] = useState<{
    busy?: boolean;
    error?: unknown;
    done?: string;
  }>({});
  const audit = useInfiniteQuery({
    queryKey: ['audit', 'list', filter],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      client.audit.list(
        { ...filter, limit: PAGE_SIZE, ...(pageParam ? { continue: pageParam } : {}) },
        { signal },
      ),
    getNextPageParam: (last) => last.metadata.continue,
  });
  const records = audit.data?.pages.flatMap((page) => page.items) ?? [];

  const exportAs = async (format: 'csv' | 'json') => {
    setExportState({ busy: true });
    try {
      const data = isAllPages ? await fetchAll(client, filter) : records;
      const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
      if (format === 'csv') download(auditCsv(data), `paddock-audit-${stamp}.csv`, 'text/csv');
      else
        download(JSON.stringify(data, null, 2), `paddock-audit-${stamp}.json`, 'application/json');
      setExportState({ done: `Exported ${data.length} records as ${format.toUpperCase()}.` });
    } catch (error) {
      setExportState({ error });
    }
  };

  return (
    <>
      <PageHeader title="Audit log">
        <button
          type="button"
          className="button"
          disabled={exportState.busy || (!isAllPages && records.length === 0)}
          onClick={() => void exportAs('csv')}
        >
          Export CSV
        </button>
        <button
          type="button"
          className="button"
          disabled={exportState.busy || (!isAllPages && records.length === 0)}
          onClick={() => void exportAs('json')}
        >
          Export JSON
        </button>
      </PageHeader>
      <AuditFilters onApply={setFilter} />
      <div className="row audit-export">
        <label className="audit-check">
          <input
            type="checkbox"
            checked={isAllPages}
            onChange={(e) => setAllPages(e.target.checked)}
          />{' '}
          Export every matching record, not only the loaded ones
        </label>
        <span role="status" className="muted small">
          {exportState.busy ? 'Exporting…' : (exportState.done ?? '')}
        </span>
      </div>
      {exportState.error ? <ErrorState error={exportState.error} /> : null}
      {audit.error && records.length === 0 ? (
        <ErrorState error={audit.error} retry={() => void audit.refetch()} />
      ) : audit.isPending ? (
        <Loading what="Loading audit records" />
      ) : records.length === 0 ? (
        <Empty title="No audit records match">Change or clear the filters.</Empty>
      ) : (
        <>
          <AuditTable records={records} />
          <div className="row audit-more">
            <span className="muted small" role="status">
              {records.length} records loaded{audit.hasNextPage ? ', more available' : ''}
            </span>
            {audit.hasNextPage ? (
              <button
                type="button"
                className="button"
                disabled={audit.isFetchingNextPage}
                onClick={() => void audit.fetchNextPage()}
              >
                {audit.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : null}
          </div>
          {audit.error ? (
            <ErrorState error={audit.error} retry={() => void audit.fetchNextPage()} />
          ) : null}
        </>
      )}
    </>
  );
}
