import { PageHeader } from '../components/layout.tsx';

export function AuditPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Audit" />;
}
