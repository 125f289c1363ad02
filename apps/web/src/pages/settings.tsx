import { PageHeader } from '../components/layout.tsx';

export function SettingsPage(_props: { params: Record<string, string> }) {
  return <PageHeader title="Settings" />;
}
