import { PageHeader } from '../components/layout.tsx';

export function SandboxDetailPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Sandbox" />;
}
