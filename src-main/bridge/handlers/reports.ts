import type { App } from '../../app.ts';
import type { Handlers } from './types.ts';
import { reportsFor } from '../../reports/service.ts';

type ReportChannels = `reports.${'search' | 'get' | 'facets' | 'exportToFile' | 'settings' | 'saveSettings' | 'purge'}`;

export function reportHandlers(app: App): Handlers<ReportChannels> {
  const reports = reportsFor(app);
  return {
    'reports.search': (input) => reports.search(input),
    'reports.get': ({ id }) => reports.get(id),
    'reports.facets': () => reports.facets(),
    'reports.exportToFile': ({ resolved, format, bom }) => reports.exportWithDialog(resolved, format, bom),
    'reports.settings': () => reports.settings(),
    'reports.saveSettings': (s) => reports.saveSettings(s),
    'reports.purge': () => reports.purge(),
  };
}
