// The shell: navigation on the left, the page on the right, notices on top.
import {
  FluentProvider,
  webDarkTheme,
  webLightTheme,
  makeStyles,
  tokens,
  Tab,
  TabList,
  Text,
} from '@fluentui/react-components';
import {
  BoardRegular,
  BookDatabaseRegular,
  ArrowDownloadRegular,
  PeopleRegular,
  PeopleTeamRegular,
  DocumentTableRegular,
  SettingsRegular,
} from '@fluentui/react-icons';
import { useEffect, type JSX } from 'react';
import { pages, useUi, type PageId } from './store/ui.ts';
import { Notices } from './components/Notices.tsx';
import { ThemeToggle } from './components/ThemeToggle.tsx';
import { pageComponents } from './pages/index.ts';
import { on } from './api.ts';
import { refreshOnChange } from './store/refresh.ts';

const labels: Record<PageId, [string, JSX.Element]> = {
  dashboard: ['Dashboard', <BoardRegular key="i" />],
  directories: ['Directories', <BookDatabaseRegular key="i" />],
  import: ['Import', <ArrowDownloadRegular key="i" />],
  users: ['Users', <PeopleRegular key="i" />],
  groups: ['Groups', <PeopleTeamRegular key="i" />],
  reports: ['Reports', <DocumentTableRegular key="i" />],
  settings: ['Settings', <SettingsRegular key="i" />],
};

const useStyles = makeStyles({
  root: { display: 'flex', height: '100vh', overflow: 'hidden' },
  nav: {
    width: '200px',
    flexShrink: 0,
    borderRight: `1px solid ${tokens.colorNeutralStroke2}`,
    padding: '16px 8px',
    display: 'flex',
    flexDirection: 'column',
    gap: '16px',
    backgroundColor: tokens.colorNeutralBackground2,
  },
  brand: { paddingLeft: '8px', fontWeight: tokens.fontWeightSemibold },
  main: { flexGrow: 1, overflow: 'auto', padding: '20px 28px', display: 'flex', flexDirection: 'column', minWidth: 0 },
});

export function App() {
  const { page, go, theme } = useUi();
  const styles = useStyles();
  const Page = pageComponents[page];
  useEffect(() => on('app.changed', ({ what }) => refreshOnChange(what)), []);
  return (
    <FluentProvider theme={theme === 'dark' ? webDarkTheme : webLightTheme}>
      <div className={styles.root}>
        <nav className={styles.nav} aria-label="Main">
          <Text as="span" size={500} className={styles.brand}>
            Provision Desk
          </Text>
          <TabList vertical selectedValue={page} onTabSelect={(_, d) => go(d.value as PageId)}>
            {pages.map((p) => (
              <Tab key={p} value={p} icon={labels[p][1]}>
                {labels[p][0]}
              </Tab>
            ))}
          </TabList>
          <div style={{ marginTop: 'auto' }}>
            <ThemeToggle />
          </div>
        </nav>
        <main className={styles.main}>
          <Notices />
          <Page />
        </main>
      </div>
    </FluentProvider>
  );
}
