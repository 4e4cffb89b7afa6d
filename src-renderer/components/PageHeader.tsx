import { makeStyles, Text } from '@fluentui/react-components';
import type { ReactNode } from 'react';

const useStyles = makeStyles({
  header: { display: 'flex', alignItems: 'center', gap: '12px', marginBottom: '16px', flexWrap: 'wrap' },
  title: { flexGrow: 1 },
});

export function PageHeader(props: { title: string; children?: ReactNode }) {
  const styles = useStyles();
  return (
    <div className={styles.header}>
      <Text as="h1" size={700} weight="semibold" className={styles.title}>
        {props.title}
      </Text>
      {props.children}
    </div>
  );
}
