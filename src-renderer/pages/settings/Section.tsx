// The Settings page's shared look: its styles and the titled card every
// settings area (mail, templates, portal) sits in. Kept apart from the page so
// the panels use it without importing the page that renders them.
import { Card, makeStyles, tokens } from '@fluentui/react-components';
import type { ReactNode } from 'react';

export const useSettingsStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', gap: '16px', maxWidth: '980px', paddingBottom: '24px' },
  card: { padding: '16px 20px', display: 'flex', flexDirection: 'column', gap: '12px' },
  sectionTitle: { margin: 0, fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold },
  hint: { color: tokens.colorNeutralForeground3, margin: 0 },
  grid: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '12px 16px' },
  grid3: { display: 'grid', gridTemplateColumns: '1fr 1fr 1fr', gap: '12px 16px' },
  row: { display: 'flex', gap: '8px', alignItems: 'flex-end', flexWrap: 'wrap' },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
});

export function Section(props: { id: string; title: string; hint?: string; children: ReactNode }) {
  const styles = useSettingsStyles();
  return (
    <Card className={styles.card} role="region" aria-labelledby={`sec-${props.id}`}>
      <h2 id={`sec-${props.id}`} className={styles.sectionTitle}>
        {props.title}
      </h2>
      {props.hint && <p className={styles.hint}>{props.hint}</p>}
      {props.children}
    </Card>
  );
}
