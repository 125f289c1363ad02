import { PageHeader } from '../components/layout.tsx';

export function SandboxesPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Sandboxes" />;
}
