import { PageHeader } from '../components/layout.tsx';

export function TemplateDetailPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Template" />;
}
