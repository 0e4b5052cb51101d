import os from 'node:os';
import path from 'node:path';

/** The application name, which also names the user-data folder. */
export const APP_NAME = 'Scout';

/**
 * Returns the per-user data folder, the same one Electron's
 * `app.getPath('userData')` gives for an app named Scout: %APPDATA%\Scout on
 * Windows, ~/Library/Application Support/Scout on macOS, and
 * $XDG_CONFIG_HOME/Scout (default ~/.config/Scout) elsewhere. SCOUT_HOME
 * overrides it.
 */
export function userDataDirectory(): string {
  if (process.env.SCOUT_HOME) {
    return path.resolve(process.env.SCOUT_HOME);
  }

  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_NAME);
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', APP_NAME);
    default:
      return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), APP_NAME);
  }
}

/** Returns the default database file inside the user-data folder. */
export function defaultDatabasePath(): string {
  return path.join(userDataDirectory(), 'scout.sqlite');
}

/** Returns the folder that keeps the trained models of a database's studies, beside the file. */
export function modelDirectory(databasePath: string): string {
  const parsed = path.parse(path.resolve(databasePath));
  return path.join(parsed.dir, `${parsed.name}-models`);
}
