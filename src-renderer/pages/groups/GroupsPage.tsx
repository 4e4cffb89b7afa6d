// Groups: the list, and for the selected group its members (users and nested
// groups; add by search, remove), the groups it belongs to and its state in
// each directory.
import {
  Button,
  Card,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Text,
  Textarea,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  AddRegular,
  DeleteRegular,
  DismissRegular,
  EditRegular,
  PeopleTeamRegular,
  SearchRegular,
} from '@fluentui/react-icons';
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { Group, GroupDetail, GroupRow } from '../../../src-preload/contract.ts';
import { call, on } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ProvisioningStates, StateCounts } from '../../components/ProvisioningStates.tsx';
import { MemberPicker, type Candidate } from '../../components/MemberPicker.tsx';
import { GroupMembers } from './GroupMembers.tsx';
import { fieldErrors } from '../../components/fieldErrors.ts';
import { filterGroups, useGroups } from '../../store/groups.ts';
import { useUsers } from '../../store/users.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0, gap: '12px' },
  body: { display: 'flex', gap: '16px', flexGrow: 1, minHeight: 0 },
  list: { display: 'flex', flexDirection: 'column', gap: '8px', flexGrow: 1, minWidth: 0 },
  panel: {
    width: '420px',
    flexShrink: 0,
    overflow: 'auto',
    padding: '16px',
    display: 'flex',
    flexDirection: 'column',
    gap: '12px',
  },
  h2: { margin: 0, fontSize: tokens.fontSizeBase500, fontWeight: tokens.fontWeightSemibold, wordBreak: 'break-word' },
  h3: { margin: '8px 0 0', fontSize: tokens.fontSizeBase300, fontWeight: tokens.fontWeightSemibold },
  muted: { color: tokens.colorNeutralForeground3 },
  members: { listStyle: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: '2px' },
  member: { display: 'flex', alignItems: 'center', gap: '8px', padding: '2px 0' },
  memberName: { flexGrow: 1, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  toolbar: { display: 'flex', gap: '8px', alignItems: 'center' },
});

const OUTBOX_REFRESH_MS = 5000;

const columns: Column<GroupRow>[] = [
  { key: 'name', header: 'Name', width: '30%', render: (r) => r.displayName, sort: (r) => r.displayName },
  { key: 'description', header: 'Description', width: '34%', render: (r) => r.description, sort: (r) => r.description },
  {
    key: 'members',
    header: 'Members',
    width: '12%',
    render: (r) => r.memberCount.toLocaleString(),
    sort: (r) => r.memberCount,
  },
  {
    key: 'states',
    header: 'Directories',
    width: '24%',
    render: (r) => <StateCounts states={r.states} />,
  },
];

function GroupEditor(props: { group?: Group; onClose: (saved?: Group) => void }) {
  const [displayName, setName] = useState(props.group?.displayName ?? '');
  const [description, setDescription] = useState(props.group?.description ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    try {
      const input = { displayName, description: description.trim() === '' ? undefined : description };
      const saved = props.group
        ? await call('groups.update', { id: props.group.id, group: input })
        : await call('groups.create', { group: input });
      notifySuccess(props.group ? `Saved ${saved.displayName}.` : `Added ${saved.displayName}.`);
      props.onClose(saved);
    } catch (err) {
      const fe = fieldErrors(err, 'group.');
      if (Object.keys(fe).length) setErrors(fe);
      else notifyError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open onOpenChange={(_, d) => !d.open && props.onClose()}>
      <DialogSurface aria-describedby={undefined}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <DialogBody>
            <DialogTitle>{props.group ? `Edit ${props.group.displayName}` : 'Add group'}</DialogTitle>
            <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
              <Field
                label="Group name"
                required
                validationMessage={errors.displayName}
                validationState={errors.displayName ? 'error' : 'none'}
              >
                <Input value={displayName} onChange={(_, d) => setName(d.value)} />
              </Field>
              <Field
                label="Description"
                validationMessage={errors.description}
                validationState={errors.description ? 'error' : 'none'}
              >
                <Textarea value={description} onChange={(_, d) => setDescription(d.value)} />
              </Field>
            </DialogContent>
            <DialogActions>
              <Button onClick={() => props.onClose()}>Cancel</Button>
              <Button type="submit" appearance="primary" disabled={busy}>
                {props.group ? 'Save' : 'Add group'}
              </Button>
            </DialogActions>
          </DialogBody>
        </form>
      </DialogSurface>
    </Dialog>
  );
}

export function GroupsPage() {
  const styles = useStyles();
  const { rows, loaded, load } = useGroups();
  const users = useUsers();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const filtered = useMemo(() => filterGroups(rows, deferred), [rows, deferred]);
  const [selectedId, setSelectedId] = useState<string | undefined>();
  const [detail, setDetail] = useState<GroupDetail | undefined>();
  const [editing, setEditing] = useState<{ group?: Group } | undefined>();
  const [deleting, setDeleting] = useState<Group | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  // The users list is only needed to add a member: read it when the admin starts to, once.
  const needUsers = () => {
    if (!users.loaded && !users.loading) void users.load();
  };

  const fetchedAt = useRef(0);
  const open = useCallback(async (id: string | undefined) => {
    setSelectedId(id);
    if (!id) return setDetail(undefined);
    try {
      fetchedAt.current = Date.now();
      setDetail(await call('groups.get', { id }));
    } catch (err) {
      setDetail(undefined);
      notifyError(err);
    }
  }, []);

  // Follow changes made elsewhere (provisioning state, imports).
  useEffect(() => {
    if (!selectedId) return;
    // Provisioning changes the outbox many times a second: the states follow at most every few seconds.
    return on('app.changed', ({ what }) => {
      if (what === 'groups' || (what === 'outbox' && Date.now() - fetchedAt.current > OUTBOX_REFRESH_MS))
        void open(selectedId);
    });
  }, [selectedId, open]);

  const candidates = useMemo<Candidate[]>(() => {
    const present = new Set(detail?.group.members.map((m) => m.value) ?? []);
    const out: Candidate[] = [];
    for (const g of rows)
      if (g.id !== detail?.group.id && !present.has(g.id)) out.push({ id: g.id, type: 'Group', label: g.displayName });
    for (const u of users.rows)
      if (!present.has(u.id))
        out.push({ id: u.id, type: 'User', label: u.displayName || u.userName, secondary: u.userName });
    return out;
  }, [rows, users.rows, detail]);

  const addMember = async (c: Candidate) => {
    if (!detail) return;
    setBusy(true);
    try {
      await call('groups.addMembers', { id: detail.group.id, memberIds: [c.id] });
      notifySuccess(`Added ${c.label} to ${detail.group.displayName}.`);
      await open(detail.group.id);
      await load();
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(false);
    }
  };

  const removeMember = async (memberId: string, name: string) => {
    if (!detail) return;
    setBusy(true);
    try {
      await call('groups.removeMembers', { id: detail.group.id, memberIds: [memberId] });
      notifySuccess(`Removed ${name} from ${detail.group.displayName}.`);
      await open(detail.group.id);
      await load();
    } catch (err) {
      notifyError(err);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    try {
      await call('groups.delete', { id: deleting.id });
      notifySuccess(`Deleted ${deleting.displayName}.`);
      await open(undefined);
      await load();
    } catch (err) {
      notifyError(err);
    } finally {
      setDeleting(undefined);
    }
  };

  const g = detail?.group;

  return (
    <div className={styles.page}>
      <PageHeader title="Groups">
        <Button appearance="primary" icon={<AddRegular />} onClick={() => setEditing({})}>
          Add group
        </Button>
      </PageHeader>
      <div className={styles.body}>
        <div className={styles.list}>
          <div className={styles.toolbar}>
            <Input
              aria-label="Search groups"
              placeholder="Search by name or description"
              contentBefore={<SearchRegular />}
              value={query}
              onChange={(_, d) => setQuery(d.value)}
              style={{ width: 320 }}
            />
            <Text className={styles.muted} aria-live="polite">
              {filtered.length === rows.length
                ? `${rows.length} groups`
                : `${filtered.length} of ${rows.length} groups`}
            </Text>
          </div>
          <VirtualTable
            label="Groups"
            rows={filtered}
            columns={columns}
            rowKey={(r) => r.id}
            selectedKey={selectedId}
            onOpen={(r) => void open(r.id)}
            empty={loaded ? 'No groups yet. Add one, or import them from a directory.' : 'Loading…'}
          />
        </div>
        {g && (
          <Card className={styles.panel} role="region" aria-label={`Group ${g.displayName}`}>
            <div className={styles.toolbar}>
              <h2 className={styles.h2} style={{ flexGrow: 1 }}>
                {g.displayName}
              </h2>
              <Button size="small" icon={<EditRegular />} onClick={() => setEditing({ group: g })}>
                Edit
              </Button>
              <Button size="small" icon={<DeleteRegular />} onClick={() => setDeleting(g)}>
                Delete
              </Button>
              <Button
                size="small"
                appearance="subtle"
                icon={<DismissRegular />}
                aria-label="Close group details"
                onClick={() => void open(undefined)}
              />
            </div>
            {g.description && <Text className={styles.muted}>{g.description}</Text>}

            <h3 className={styles.h3}>Members ({detail.members.length.toLocaleString()})</h3>
            <MemberPicker
              onFocus={needUsers}
              label="Add a member"
              candidates={candidates}
              onPick={(c) => void addMember(c)}
              disabled={busy}
            />
            <GroupMembers
              groupName={g.displayName}
              members={detail.members}
              busy={busy}
              onOpenGroup={(id) => void open(id)}
              onRemove={(m) => void removeMember(m.id, m.displayName)}
            />

            <h3 className={styles.h3}>Member of</h3>
            {detail.memberOf.length === 0 ? (
              <Text className={styles.muted}>Not a member of any group.</Text>
            ) : (
              <ul className={styles.members} aria-label="Member of">
                {detail.memberOf.map((p) => (
                  <li key={p.id} className={styles.member}>
                    <PeopleTeamRegular aria-hidden />
                    <Button
                      appearance="transparent"
                      size="small"
                      style={{ padding: 0, minWidth: 0 }}
                      onClick={() => void open(p.id)}
                    >
                      {p.displayName}
                    </Button>
                  </li>
                ))}
              </ul>
            )}

            <h3 className={styles.h3}>In directories</h3>
            <ProvisioningStates states={detail.provisioning} label={`Provisioning state of ${g.displayName}`} />
          </Card>
        )}
      </div>
      {editing && (
        <GroupEditor
          group={editing.group}
          onClose={(saved) => {
            setEditing(undefined);
            if (saved) {
              void load();
              void open(saved.id);
            }
          }}
        />
      )}
      <ConfirmDialog
        open={!!deleting}
        title={`Delete ${deleting?.displayName ?? ''}?`}
        confirmLabel="Delete group"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        The group is removed from Provision Desk; its members stay. In each directory where deleting groups is switched
        on, the group is deleted there too.
      </ConfirmDialog>
    </div>
  );
}
