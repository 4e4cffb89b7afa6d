// Where Provision Desk keeps its data when --data-dir is not given: the
// platform's per-user app data folder, the same one Electron's userData uses.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The package name, which is also the folder Electron's userData uses, so every shell shares one store. */
export const APP_FOLDER = 'provision-desk';

export function defaultDataDir(): string {
  const home = homedir();
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), APP_FOLDER);
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', APP_FOLDER);
  return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), APP_FOLDER);
}

/** Reads `--name value` or `--name=value` from argv. */
export function argValue(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}`) return argv[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}
