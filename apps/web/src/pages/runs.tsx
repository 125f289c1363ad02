import { PageHeader } from '../components/layout.tsx';

export function RunsPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Runs" />;
}
