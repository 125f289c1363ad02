import { PageHeader } from '../components/layout.tsx';

export function TemplatesPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Templates" />;
}
