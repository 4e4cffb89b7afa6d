import { describe, expect, it } from 'vitest';
import { collator, fold } from '../../src-renderer/components/fold.ts';
import { filterUsers } from '../../src-renderer/store/userFilter.ts';
import type { UserRow } from '../../src-preload/contract.ts';

describe('search folding', () => {
  it('ignores case and accents, and spells out letters that do not decompose', () => {
    expect(fold('Müller')).toBe('muller');
    expect(fold('JOSÉ Ñúñez')).toBe('jose nunez');
    expect(fold('Straße Søren Łukasz')).toBe('strasse soren lukasz');
  });

  it('sorts names with numbers and accents the way people read them', () => {
    expect(['User 10', 'Émile', 'user 2', 'Zoe', 'Eve'].sort(collator.compare)).toEqual([
      'Émile',
      'Eve',
      'user 2',
      'User 10',
      'Zoe',
    ]);
  });

  it('finds Müller when the admin types muller in the users list', () => {
    const row = (userName: string, displayName: string) =>
      ({ id: userName, userName, displayName, email: '', department: '', states: [] }) as unknown as UserRow;
    const rows = [row('jm', 'Jürgen Müller'), row('am', 'Anna Miller')];
    expect(filterUsers(rows, 'MULLER').map((r) => r.id)).toEqual(['jm']);
    expect(filterUsers(rows, 'müll').map((r) => r.id)).toEqual(['jm']);
  });
});
