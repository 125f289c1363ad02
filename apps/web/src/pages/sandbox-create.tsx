import { PageHeader } from '../components/layout.tsx';

export function SandboxCreatePage(_props: { params: Record<string, string> }) {
  return <PageHeader title="New sandbox" />;
}
