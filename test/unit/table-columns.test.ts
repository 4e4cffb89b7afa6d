import { describe, expect, it } from 'vitest';
import { columnTrack } from '../../src-renderer/components/columns.ts';

describe('table column layout', () => {
  it('turns a share of the table into a grid fraction that never shrinks below its header', () => {
    expect(columnTrack({ header: 'Onboarding', width: '10%' })).toEqual({ track: 'minmax(124px, 10fr)', floor: 124 });
    // A short header still gets room for a badge or a date.
    expect(columnTrack({ header: 'Type', width: '5%' })).toEqual({ track: 'minmax(96px, 5fr)', floor: 96 });
  });

  it('keeps a fixed width as it is and counts it fully', () => {
    expect(columnTrack({ header: 'Include', width: '72px' })).toEqual({ track: '72px', floor: 72 });
  });

  it('reads the share out of an older calc() width', () => {
    expect(columnTrack({ header: 'Old → new', width: 'calc(76% - 290px)' }).track).toBe('minmax(114px, 76fr)');
  });
});
