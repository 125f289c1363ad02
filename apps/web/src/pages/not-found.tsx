import { PageHeader } from '../components/layout.tsx';

export function NotFoundPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Not found" />;
}
