// Native dialogs for the desktop shell: the save dialog of the report export.
// The reports service asks through this hook; nothing outside electron/
// imports electron.
import { dialog, type BrowserWindow } from 'electron';
import type { App } from '../app.ts';
import { reportsFor } from '../reports/service.ts';

export function installDialogs(app: App, window: () => BrowserWindow | undefined): void {
  reportsFor(app).saveDialog = async ({ defaultName, format }) => {
    const options = {
      title: 'Export the provisioning report',
      defaultPath: defaultName,
      buttonLabel: 'Export',
      filters:
        format === 'csv'
          ? [{ name: 'CSV (comma-separated)', extensions: ['csv'] }]
          : [{ name: 'JSON', extensions: ['json'] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'] as Array<
        'createDirectory' | 'showOverwriteConfirmation'
      >,
    };
    const win = window();
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return r.canceled || !r.filePath ? undefined : r.filePath;
  };
}
