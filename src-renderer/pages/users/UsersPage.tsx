// Users: the virtualised list with search, add, edit, delete with confirmation.
import { Button, Checkbox, Input, Select, Text, makeStyles, tokens } from '@fluentui/react-components';
import { AddRegular, ArrowClockwiseRegular, SearchRegular } from '@fluentui/react-icons';
import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import type { OnboardingStatus, ProvisioningState, User, UserRow } from '../../../src-preload/contract.ts';
import { call } from '../../api.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { VirtualTable, type Column } from '../../components/VirtualTable.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { filterUsers, useUsers, type UserFilters } from '../../store/users.ts';
import { useDirectories } from '../../store/directories.ts';
import { notifyError, notifySuccess } from '../../store/notices.ts';
import { UserEditor } from './UserEditor.tsx';
import { UserDetailPanel, onboardingLabel } from './UserDetailPanel.tsx';
import { OnboardingActions } from './OnboardingActions.tsx';
import { StateCounts } from '../../components/ProvisioningStates.tsx';

const useStyles = makeStyles({
  page: { display: 'flex', flexDirection: 'column', flexGrow: 1, minHeight: 0, gap: '12px' },
  toolbar: { display: 'flex', gap: '8px', alignItems: 'center', flexWrap: 'wrap' },
  body: { display: 'flex', gap: '16px', flexGrow: 1, minHeight: 0 },
  list: { display: 'flex', flexDirection: 'column', flexGrow: 1, minWidth: 0 },
  count: { color: tokens.colorNeutralForeground3 },
});

const columns: Column<UserRow>[] = [
  { key: 'userName', header: 'User name', width: '15%', render: (r) => r.userName, sort: (r) => r.userName },
  {
    key: 'displayName',
    header: 'Display name',
    width: '15%',
    render: (r) => r.displayName,
    sort: (r) => r.displayName,
  },
  { key: 'email', header: 'E-mail', width: '20%', render: (r) => r.email, sort: (r) => r.email },
  { key: 'department', header: 'Department', width: '11%', render: (r) => r.department, sort: (r) => r.department },
  {
    key: 'active',
    header: 'Account',
    width: '9%',
    // A user deleted in the app stays listed until every directory has confirmed the removal.
    render: (r) => (r.removing ? 'Being removed' : r.active ? 'Enabled' : 'Disabled'),
    sort: (r) => (r.removing ? 2 : r.active ? 0 : 1),
  },
  {
    key: 'onboarding',
    header: 'Onboarding',
    width: '10%',
    render: (r) => onboardingLabel[r.onboarding],
    sort: (r) => onboardingLabel[r.onboarding],
  },
  {
    key: 'states',
    header: 'Directories',
    width: '13%',
    render: (r) => <StateCounts states={r.states} />,
  },
];

export function UsersPage() {
  const styles = useStyles();
  const { rows, loaded, load, partial, total } = useUsers();
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const [filters, setFilters] = useState<UserFilters>({});
  const dirs = useDirectories();
  const filtered = useMemo(() => filterUsers(rows, deferred, filters), [rows, deferred, filters]);
  const anyFailed = useMemo(() => rows.some((r) => r.states.some(([, st]) => st === 'failed')), [rows]);
  const [selected, setSelected] = useState<UserRow | undefined>();
  const [editing, setEditing] = useState<{ user?: User } | undefined>();
  const [deleting, setDeleting] = useState<UserRow | undefined>();
  // Bulk selection (ticked rows) is separate from the row opened in the panel.
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string, on: boolean) =>
    setTicked((t) => {
      const next = new Set(t);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const allShownTicked = filtered.length > 0 && filtered.every((r) => ticked.has(r.id));
  const tableColumns = useMemo<Column<UserRow>[]>(
    () => [
      {
        key: 'tick',
        header: 'Select',
        width: '76px',
        render: (r) => (
          <Checkbox
            aria-label={`Select ${r.userName}`}
            checked={ticked.has(r.id)}
            onClick={(e) => e.stopPropagation()}
            onChange={(_, d) => toggle(r.id, d.checked === true)}
          />
        ),
      },
      ...columns,
    ],
    [ticked],
  );

  useEffect(() => {
    if (!loaded) void load();
  }, [loaded, load]);
  useEffect(() => {
    if (!dirs.loaded) void dirs.load();
  }, [dirs]);

  const retryAll = async () => {
    try {
      const { queued } = await call(
        'provision.retryFailed',
        filters.directory && filters.directory !== 'none' ? { directoryId: filters.directory } : {},
      );
      notifySuccess(queued ? `Queued ${queued} failed operations again.` : 'No failed operation is waiting.');
    } catch (err) {
      notifyError(err, 'Could not retry.');
    }
  };

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
      const r = await call('users.delete', { id: deleting.id });
      notifySuccess(
        r.removing
          ? `${deleting.userName} is being removed: it stays listed until every directory has confirmed it.`
          : `Deleted ${deleting.userName}.`,
      );
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
        <Select
          aria-label="Filter by directory"
          value={filters.directory ?? ''}
          onChange={(_, d) => setFilters((f) => ({ ...f, directory: d.value || undefined }))}
        >
          <option value="">All directories</option>
          {dirs.list.map((d) => (
            <option key={d.id} value={d.id}>
              {d.config.name}
            </option>
          ))}
          <option value="none">In no directory</option>
        </Select>
        <Select
          aria-label="Filter by provisioning state"
          value={filters.state ?? ''}
          disabled={filters.directory === 'none'}
          onChange={(_, d) =>
            setFilters((f) => ({ ...f, state: (d.value || undefined) as ProvisioningState['state'] | undefined }))
          }
        >
          <option value="">Any state</option>
          <option value="provisioned">Provisioned</option>
          <option value="pending">Pending</option>
          <option value="failed">Failed</option>
        </Select>
        <Select
          aria-label="Filter by onboarding status"
          value={filters.onboarding ?? ''}
          onChange={(_, d) =>
            setFilters((f) => ({ ...f, onboarding: (d.value || undefined) as OnboardingStatus | undefined }))
          }
        >
          <option value="">Any onboarding status</option>
          {(Object.keys(onboardingLabel) as OnboardingStatus[]).map((o) => (
            <option key={o} value={o}>
              {onboardingLabel[o]}
            </option>
          ))}
        </Select>
        {anyFailed && (
          <Button icon={<ArrowClockwiseRegular />} onClick={() => void retryAll()}>
            Retry failed
          </Button>
        )}
        <Text className={styles.count} aria-live="polite" data-testid="users-count">
          {partial
            ? `Loading… first ${rows.length.toLocaleString()} of ${(total ?? rows.length).toLocaleString()} users shown`
            : filtered.length === rows.length
              ? `${rows.length.toLocaleString()} users`
              : `${filtered.length.toLocaleString()} of ${rows.length.toLocaleString()} users`}
        </Text>
      </div>
      <div className={styles.toolbar}>
        <Checkbox
          label={`Select all ${filtered.length} shown`}
          checked={allShownTicked ? true : ticked.size > 0 ? 'mixed' : false}
          onChange={(_, d) => setTicked(d.checked === true ? new Set(filtered.map((r) => r.id)) : new Set())}
        />
        <Text className={styles.count}>
          {ticked.size ? `${ticked.size} selected` : 'Tick users to send activation mail in bulk'}
        </Text>
        <OnboardingActions userIds={[...ticked]} onDone={() => void load()} onSent={() => setTicked(new Set())} />
      </div>
      <div className={styles.body}>
        <div className={styles.list}>
          <VirtualTable
            label="Users"
            rows={filtered}
            columns={tableColumns}
            rowKey={(r) => r.id}
            selectedKey={selected?.id}
            onOpen={setSelected}
            onActivate={(r) => void edit(r)}
            empty={
              loaded
                ? rows.length
                  ? 'No user matches.'
                  : 'No users yet. Add one, or import them from a directory.'
                : 'Loading…'
            }
          />
        </div>
        {selected && (
          <UserDetailPanel
            key={selected.id}
            userId={selected.id}
            onClose={() => setSelected(undefined)}
            onEdit={(d) => setEditing({ user: d.user })}
            onDelete={() => setDeleting(selected)}
          />
        )}
      </div>
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
