// The desktop app's background icon and notifications, against the fake
// electron module (vitest aliases `electron` to test/fakes/electron.ts).
import { beforeEach, describe, expect, it } from 'vitest';
import { Notification, Tray } from '../fakes/electron.ts';
import { createTray, notifyDesktop } from '../../src-main/electron/tray.ts';
import type { RunNotice } from '../../src-main/schedule/notices.ts';

describe('tray icon', () => {
  let calls: string[];
  beforeEach(() => {
    calls = [];
    Tray.created.length = 0;
  });
  const make = () => createTray({ open: () => calls.push('open'), quit: () => calls.push('quit') }) as unknown as Tray;

  it('has an image, a tooltip and a menu of "Open" and "Quit" that do what they say', () => {
    const tray = make();
    expect(Tray.created).toEqual([tray]);
    expect((tray.image as { isEmpty(): boolean }).isEmpty()).toBe(false);
    expect(tray.tooltip).toMatch(/schedules keep running/);
    const items = tray.menu!.items.filter((i) => i.label);
    expect(items.map((i) => i.label)).toEqual(['Open', 'Quit']);
    items[0]!.click!();
    items[1]!.click!();
    expect(calls).toEqual(['open', 'quit']);
  });

  it('a click on the icon opens the window', () => {
    make().emit('click');
    expect(calls).toEqual(['open']);
  });
});

describe('desktop notifications', () => {
  const notice: RunNotice = {
    level: 'warning',
    title: 'Corp AD: scheduled import held for review',
    text: 'The scheduled import of Corp AD was not committed. It would delete 600 objects.\nUsers: 0 new',
    outcome: { directoryId: 'd', directoryName: 'Corp AD', status: 'held' },
  };
  beforeEach(() => {
    Notification.shown.length = 0;
    Notification.supported = true;
  });

  it('shows the title and the first line; a click opens the window', () => {
    let opened = 0;
    notifyDesktop(notice, () => opened++);
    expect(Notification.shown).toHaveLength(1);
    const n = Notification.shown[0]!;
    expect(n.options).toEqual({
      title: 'Corp AD: scheduled import held for review',
      body: 'The scheduled import of Corp AD was not committed. It would delete 600 objects.',
    });
    n.emit('click');
    expect(opened).toBe(1);
  });

  it('where the system has no notifications, nothing is shown', () => {
    Notification.supported = false;
    notifyDesktop(notice, () => {});
    expect(Notification.shown).toHaveLength(0);
  });
});
