import { PageHeader } from '../components/layout.tsx';

export function OverviewPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Overview" />;
}
