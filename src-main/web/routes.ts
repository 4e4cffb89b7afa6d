// Extra browser-mode routes (downloads and the like); areas add theirs here.
import type { App } from '../app.ts';
import type { Route } from './server.ts';
import { reportsDownloadRoute } from '../reports/web-route.ts';

export function webRoutes(app: App): Route[] {
  return [reportsDownloadRoute(app)];
}
