// A group's members, however many: a virtualised list (only the visible rows
// are in the page), each user with their user name and e-mail beside the name
// so people of the same name are told apart, and a search inside the group
// that ignores case and accents.
import { Badge, Button, Input, Text, makeStyles, tokens } from '@fluentui/react-components';
import { DismissRegular, PeopleTeamRegular, PersonRegular, SearchRegular } from '@fluentui/react-icons';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useDeferredValue, useMemo, useRef, useState } from 'react';
import type { GroupMemberView } from '../../../src-preload/contract.ts';
import { fold } from '../../components/fold.ts';

const ROW = 44;

const useStyles = makeStyles({
  scroller: {
    height: '360px',
    overflowY: 'auto',
    position: 'relative',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
  },
  row: {
    position: 'absolute',
    left: 0,
    right: 0,
    height: `${ROW}px`,
    display: 'flex',
    alignItems: 'center',
    gap: '8px',
    padding: '0 4px 0 8px',
    boxSizing: 'border-box',
    borderBottom: `1px solid ${tokens.colorNeutralStroke3}`,
  },
  icon: { flexShrink: 0 },
  text: { display: 'flex', flexDirection: 'column', minWidth: 0, flexGrow: 1 },
  name: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  secondary: {
    color: tokens.colorNeutralForeground3,
    fontSize: tokens.fontSizeBase200,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  muted: { color: tokens.colorNeutralForeground3 },
});

export function GroupMembers(props: {
  groupName: string;
  members: GroupMemberView[];
  busy: boolean;
  onOpenGroup: (id: string) => void;
  onRemove: (m: GroupMemberView) => void;
}) {
  const styles = useStyles();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  // Folded once per member list, not once per keystroke.
  const hay = useMemo(
    () => props.members.map((m) => fold(`${m.displayName}\u0000${m.userName}\u0000${m.email}`)),
    [props.members],
  );
  const shown = useMemo(() => {
    const q = fold(deferred.trim());
    return q ? props.members.filter((_, i) => hay[i]!.includes(q)) : props.members;
  }, [props.members, hay, deferred]);
  const parentRef = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({
    count: shown.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW,
    overscan: 8,
  });

  if (props.members.length === 0) return <Text className={styles.muted}>No members.</Text>;
  return (
    <>
      <Input
        aria-label={`Search the members of ${props.groupName}`}
        placeholder="Search members by name, user name or e-mail"
        contentBefore={<SearchRegular />}
        value={query}
        onChange={(_, d) => setQuery(d.value)}
      />
      <Text size={200} className={styles.muted} aria-live="polite">
        {shown.length === props.members.length
          ? `${props.members.length.toLocaleString()} members`
          : `${shown.length.toLocaleString()} of ${props.members.length.toLocaleString()} members match`}
      </Text>
      <div ref={parentRef} className={styles.scroller}>
        <ul
          aria-label="Members"
          style={{ height: v.getTotalSize(), margin: 0, padding: 0, listStyle: 'none', position: 'relative' }}
        >
          {v.getVirtualItems().map((item) => {
            const m = shown[item.index]!;
            const secondary = m.type === 'User' ? [m.userName, m.email].filter(Boolean).join(' · ') : '';
            return (
              <li key={m.id} className={styles.row} style={{ top: item.start }}>
                {m.type === 'Group' ? (
                  <PeopleTeamRegular aria-hidden className={styles.icon} />
                ) : (
                  <PersonRegular aria-hidden className={styles.icon} />
                )}
                <span className={styles.text}>
                  {m.type === 'Group' ? (
                    <Button
                      appearance="transparent"
                      size="small"
                      style={{ padding: 0, minWidth: 0, justifyContent: 'flex-start' }}
                      onClick={() => props.onOpenGroup(m.id)}
                    >
                      {m.displayName}
                    </Button>
                  ) : (
                    <span className={styles.name}>{m.displayName}</span>
                  )}
                  {secondary && (
                    <span id={`member-${item.index}`} className={styles.secondary}>
                      {secondary}
                    </span>
                  )}
                </span>
                {m.type === 'Group' && (
                  <Badge appearance="outline" color="brand">
                    nested group
                  </Badge>
                )}
                <Button
                  size="small"
                  appearance="subtle"
                  icon={<DismissRegular />}
                  aria-label={`Remove ${m.displayName} from ${props.groupName}`}
                  aria-describedby={secondary ? `member-${item.index}` : undefined}
                  disabled={props.busy}
                  onClick={() => props.onRemove(m)}
                />
              </li>
            );
          })}
        </ul>
      </div>
    </>
  );
}
