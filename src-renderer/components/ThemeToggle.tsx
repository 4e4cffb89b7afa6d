// Light / dark theme switch for the navigation bar.
import { Switch } from '@fluentui/react-components';
import { useUi } from '../store/ui.ts';

export function ThemeToggle() {
  const { theme, setTheme } = useUi();
  return (
    <Switch label="Dark theme" checked={theme === 'dark'} onChange={(_, d) => setTheme(d.checked ? 'dark' : 'light')} />
  );
}
