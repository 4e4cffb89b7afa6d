// Search users and groups by name and pick one; shows at most 30 matches so a
// 100,000-user store stays quick.
import { Combobox, Option, OptionGroup, Field } from '@fluentui/react-components';
import { useMemo, useState } from 'react';
import { fold } from './fold.ts';

export interface Candidate {
  id: string;
  type: 'User' | 'Group';
  label: string;
  secondary?: string;
}

export function MemberPicker(props: {
  label: string;
  candidates: Candidate[];
  onPick: (c: Candidate) => void;
  disabled?: boolean;
  /** The admin is about to search: load the candidates now if they are not yet. */
  onFocus?: () => void;
}) {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const matches = useMemo(() => {
    const q = fold(query.trim());
    if (!q) return [];
    const out: Candidate[] = [];
    for (const c of props.candidates) {
      if (fold(c.label).includes(q) || (c.secondary && fold(c.secondary).includes(q))) out.push(c);
      if (out.length >= 30) break;
    }
    return out;
  }, [props.candidates, query]);
  const users = matches.filter((m) => m.type === 'User');
  const groups = matches.filter((m) => m.type === 'Group');
  const text = (c: Candidate) => (c.secondary ? `${c.label} (${c.secondary})` : c.label);
  return (
    <Field label={props.label} hint="Type part of a name, then choose.">
      <Combobox
        freeform
        disabled={props.disabled}
        onFocus={props.onFocus}
        placeholder="Search users and groups"
        value={query}
        selectedOptions={[]}
        open={open && query.trim() !== ''}
        onOpenChange={(_, d) => setOpen(d.open)}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
        onOptionSelect={(_, d) => {
          const c = matches.find((m) => `${m.type}:${m.id}` === d.optionValue);
          if (c) props.onPick(c);
          setQuery('');
          setOpen(false);
        }}
      >
        {query.trim() !== '' && matches.length === 0 && (
          <Option value="" disabled text="No match">
            No match
          </Option>
        )}
        {users.length > 0 && (
          <OptionGroup label="Users">
            {users.map((c) => (
              <Option key={c.id} value={`User:${c.id}`} text={text(c)}>
                {text(c)}
              </Option>
            ))}
          </OptionGroup>
        )}
        {groups.length > 0 && (
          <OptionGroup label="Groups">
            {groups.map((c) => (
              <Option key={c.id} value={`Group:${c.id}`} text={text(c)}>
                {text(c)}
              </Option>
            ))}
          </OptionGroup>
        )}
      </Combobox>
    </Field>
  );
}
