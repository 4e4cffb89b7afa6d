// Extra browser-mode routes (downloads and the like); areas add theirs here.
import type { App } from '../app.ts';
import type { Route } from './server.ts';

export function webRoutes(_app: App): Route[] {
  return [];
}
