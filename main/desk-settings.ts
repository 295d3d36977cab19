// Whether this desk is shared with other agents (issue 21, remembered personal devices): asked
// once per desk, kept in a small JSON file in the app's userData folder, and sent with every
// sign-in (PUT /sessions/current/device) so the server never lets a shared desk skip the second
// step. Not a secret (the device token, in the keychain, is what names the desk), so a plain file.
//
// Shared is for good, as on the server: once a desk is said to be shared, "personal" is refused
// (`device_marked_shared`): whoever sits at a shared desk next cannot talk it into remembering them.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApiError } from '../contract/api-error.js';

export const DESK_SETTINGS_FILE = 'desk.json';

export class DeskSettings {
  /** The answer read or written last; undefined until the file was read. */
  #shared: boolean | null | undefined;

  constructor(readonly file: string) {}

  /** true shared, false personal, null not asked yet (or the file is unreadable: asked again). */
  async shared(): Promise<boolean | null> {
    if (this.#shared !== undefined) return this.#shared;
    let value: boolean | null = null;
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as { shared?: unknown };
      if (typeof parsed.shared === 'boolean') value = parsed.shared;
    } catch {
      // No file yet (the first run), or not ours to make sense of: the desk is asked.
    }
    this.#shared = value;
    return value;
  }

  /** Keeps the answer (written whole to a new file, then renamed: never half a file). */
  async setShared(shared: boolean): Promise<void> {
    if ((await this.shared()) === true && !shared) throw new ApiError('device_marked_shared', 'This computer was set up as shared with other agents.', 409);
    await mkdir(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify({ shared, answeredAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
    this.#shared = shared;
  }
}
