import { PageHeader } from '../components/layout.tsx';

export function AgentDetailPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Agent" />;
}
