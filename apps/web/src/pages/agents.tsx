import { PageHeader } from '../components/layout.tsx';

export function AgentsPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Agents" />;
}
