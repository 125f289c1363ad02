import { PageHeader } from '../components/layout.tsx';

export function GovernancePage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Governance" />;
}
