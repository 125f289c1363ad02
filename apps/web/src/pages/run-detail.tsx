import { PageHeader } from '../components/layout.tsx';

export function RunDetailPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Run" />;
}
