// Users: the virtualised list with search, add, edit, delete with confirmation.
import { Badge, Button, Input, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AddRegular, DeleteRegular, EditRegular, SearchRegular } from '@fluentui/react-icons';
import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { User, UserRow } from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { filterUsers, useUsers } from '../../store/users.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { UserEditor } from './UserEditor.tsx';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0, gap: '12px' },
  toolbar: { display: 'flex', gap: '8px', alignItems: 'center' },
  count: { color: tokens.colorNeutralForeground3 },
});

const stateColor = { provisioned: 'success', pending: 'warning', failed: 'danger' } as const;

const columns: Column<UserRow>[] = [
  { key: 'userName', header: 'User name', width: '20%', render: (r) => r.userName },
  { key: 'displayName', header: 'Display name', width: '20%', render: (r) => r.displayName },
  { key: 'email', header: 'E-mail', width: '24%', render: (r) => r.email },
  { key: 'department', header: 'Department', width: '14%', render: (r) => r.department },
  {
    key: 'active',
    header: 'Account',
    width: '9%',
    render: (r) => (r.active ? 'Enabled' : 'Disabled'),
  },
  {
    key: 'states',
    header: 'Directories',
    width: '13%',
    render: (r) =>
      r.states.length === 0 ? '—' : (
        <span style={{ display: 'flex', gap: 4 }}>
          {(['provisioned', 'pending', 'failed'] as const).map((s) => {
            const n = r.states.filter(([, st]) => st === s).length;
            return n ? (
              <Badge key={s} appearance="tint" color={stateColor[s]}>
                {n} {s}
              </Badge>
            ) : null;
          })}
        </span>
      ),
  },
];

export function UsersPage() {
  const styles = useStyles();
  const { rows, loaded, load } = useUsers();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const filtered = useMemo(() => filterUsers(rows, deferred), [rows, deferred]);
  const [selected, setSelected] = useState<UserRow | undefined>();
  const [editing, setEditing] = useState<{ user?: User } | undefined>();
  const [deleting, setDeleting] = useState<UserRow | undefined>();

  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);

  const edit = async (row: UserRow) => {
    try {
      const detail = await call('users.get', { id: row.id });
      setEditing({ user: detail.user });
    } catch (err) {
      notifyError(err);
    }
  };

  const remove = async () => {
    if (!deleting) return;
    try {
      await call('users.delete', { id: deleting.id });
      notifySuccess(`Deleted ${deleting.userName}.`);
      setSelected(undefined);
      await load();
    } catch (err) {
      notifyError(err);
    } finally {
      setDeleting(undefined);
    }
  };

  return (
    <div className={styles.page}>
      <PageHeader title="Users">
        <Button appearance="primary" icon={<AddRegular />} onClick={() => setEditing({})}>
          Add user
        </Button>
      </PageHeader>
      <div className={styles.toolbar}>
        <Input
          aria-label="Search users"
          placeholder="Search by name, e-mail or department"
          contentBefore={<SearchRegular />}
          value={query}
          onChange={(_, d) => setQuery(d.value)}
          style={{ width: 360 }}
        />
        <Button icon={<EditRegular />} disabled={!selected} onClick={() => selected && void edit(selected)}>
          Edit
        </Button>
        <Button icon={<DeleteRegular />} disabled={!selected} onClick={() => setDeleting(selected)}>
          Delete
        </Button>
        <Text className={styles.count} aria-live="polite">
          {filtered.length === rows.length ? `${rows.length} users` : `${filtered.length} of ${rows.length} users`}
        </Text>
      </div>
      <VirtualTable
        label="Users"
        rows={filtered}
        columns={columns}
        rowKey={(r) => r.id}
        selectedKey={selected?.id}
        onOpen={setSelected}
        onActivate={(r) => void edit(r)}
        empty={loaded ? 'No users yet. Add one, or import them from a directory.' : 'Loading…'}
      />
      {editing && (
        <UserEditor
          user={editing.user}
          onClose={(saved) => {
            setEditing(undefined);
            if (saved) void load();
          }}
        />
      )}
      <ConfirmDialog
        open={!!deleting}
        title={`Delete ${deleting?.userName ?? ''}?`}
        confirmLabel="Delete user"
        onConfirm={() => void remove()}
        onCancel={() => setDeleting(undefined)}
      >
        The user is removed from Provision Desk. In each directory where deleting users is switched on, the account is
        disabled or deleted as that directory is set up to do.
      </ConfirmDialog>
    </div>
  );
}
