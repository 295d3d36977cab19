// Where the desktop keeps its session token: the OS keychain (macOS Keychain, Windows Credential
// Manager, the Secret Service on Linux) through @napi-rs/keyring, service "AgentDesk", one entry
// per server and account. Never a plain file. When no keychain answers, the token lives in
// memory only, for this run of the app, and the log says so once.
import { createHash } from 'node:crypto';
import { AsyncEntry, findCredentialsAsync } from '@napi-rs/keyring';

export const KEYCHAIN_SERVICE = 'AgentDesk';

export interface StoredSession {
  /** The account's slug. */
  account: string;
  token: string;
}

export interface SessionStore {
  /** 'keychain' while the OS keychain holds the tokens, 'memory' once it could not. */
  readonly kind: 'keychain' | 'memory';
  get(server: string, account: string): Promise<string | null>;
  set(server: string, account: string, token: string): Promise<void>;
  delete(server: string, account: string): Promise<void>;
  /** Every session kept for this server (normally one: signing in replaces the previous). */
  list(server: string): Promise<StoredSession[]>;
  /** This device's token for the server (kept across sign-out: it names the device, never a factor). */
  getDeviceToken(server: string): Promise<string | null>;
  setDeviceToken(server: string, token: string): Promise<void>;
  /**
   * Sign-outs the server has not confirmed yet: session tokens to revoke with DELETE
   * /sessions/current once it answers. Kept in the keychain like the sessions themselves, so a
   * restart (or a crash) while the server is unreachable does not leave a session alive.
   */
  queueRevocation(server: string, token: string): Promise<void>;
  pendingRevocations(server: string): Promise<string[]>;
  /** The server confirmed (204) or no longer knows the session (401). */
  revocationDone(server: string, token: string): Promise<void>;
}

/** The keychain entry of a server's device token: outside "<server>#<account>", so never listed as a session. */
export function deviceEntryName(server: string): string {
  return `device:${serverKey(server)}`;
}

/** One entry per unconfirmed sign-out, named by a digest of its token (the token itself is the secret). */
export function revocationEntryName(server: string, token: string): string {
  return `${revocationPrefix(server)}${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

function revocationPrefix(server: string): string {
  return `revoke:${serverKey(server)}#`;
}

/** One keychain entry name per server and account: "<server origin>#<account slug>". */
export function entryName(server: string, account: string): string {
  return `${serverKey(server)}#${account}`;
}

/**
 * Servers are named by origin, so "http://localhost:4800/" and "http://localhost:4800" are one.
 * Other names (the embedded server, whose port changes each start) are kept as given.
 */
export function serverKey(server: string): string {
  try {
    const url = new URL(server);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // not a URL: a name of our own
  }
  return server;
}

export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #tokens = new Map<string, string>();

  async get(server: string, account: string) {
    return this.#tokens.get(entryName(server, account)) ?? null;
  }
  async set(server: string, account: string, token: string) {
    this.#tokens.set(entryName(server, account), token);
  }
  async delete(server: string, account: string) {
    this.#tokens.delete(entryName(server, account));
  }
  async list(server: string) {
    return sessionsOf(server, [...this.#tokens].map(([name, token]) => ({ name, token })));
  }
  async getDeviceToken(server: string) {
    return this.#tokens.get(deviceEntryName(server)) ?? null;
  }
  async setDeviceToken(server: string, token: string) {
    this.#tokens.set(deviceEntryName(server), token);
  }
  async queueRevocation(server: string, token: string) {
    this.#tokens.set(revocationEntryName(server, token), token);
  }
  async pendingRevocations(server: string) {
    return revocationsOf(server, [...this.#tokens].map(([name, token]) => ({ name, token })));
  }
  async revocationDone(server: string, token: string) {
    this.#tokens.delete(revocationEntryName(server, token));
  }
}

function revocationsOf(server: string, entries: { name: string; token: string }[]): string[] {
  const prefix = revocationPrefix(server);
  return entries.filter((e) => e.name.startsWith(prefix)).map((e) => e.token);
}

function sessionsOf(server: string, entries: { name: string; token: string }[]): StoredSession[] {
  const prefix = `${serverKey(server)}#`;
  return entries.filter((e) => e.name.startsWith(prefix) && e.name.length > prefix.length).map((e) => ({ account: e.name.slice(prefix.length), token: e.token }));
}

export interface KeychainOptions {
  service?: string;
  log?: (line: string) => void;
}

/**
 * The keychain store. Any keychain failure (no Secret Service, a locked keychain that stays
 * locked) switches it to memory for the rest of the run: the app keeps working, signed in until
 * it quits, and the log says why once.
 */
export class KeychainSessionStore implements SessionStore {
  readonly #service: string;
  readonly #log: (line: string) => void;
  #fallback: MemorySessionStore | undefined;

  constructor(options: KeychainOptions = {}) {
    this.#service = options.service ?? KEYCHAIN_SERVICE;
    this.#log = options.log ?? ((line) => console.warn(line));
  }

  get kind(): 'keychain' | 'memory' {
    return this.#fallback ? 'memory' : 'keychain';
  }

  #entry(server: string, account: string): AsyncEntry {
    return this.#named(entryName(server, account));
  }

  async #keychain<T>(operation: () => Promise<T>, inMemory: (memory: MemorySessionStore) => Promise<T>): Promise<T> {
    if (!this.#fallback) {
      try {
        return await operation();
      } catch (error) {
        this.#fallback = new MemorySessionStore();
        this.#log(`AgentDesk: no OS keychain available (${error instanceof Error ? error.message : String(error)}); the session is kept in memory only and you will sign in again after a restart.`);
      }
    }
    return inMemory(this.#fallback);
  }

  /** Checks the keychain answers now, so the fallback (and its log line) happens at start. */
  async probe(): Promise<'keychain' | 'memory'> {
    await this.#keychain(() => findCredentialsAsync(this.#service), async () => []);
    return this.kind;
  }

  get(server: string, account: string) {
    return this.#keychain(() => this.#entry(server, account).getPassword(), (m) => m.get(server, account));
  }

  set(server: string, account: string, token: string) {
    return this.#keychain(() => this.#entry(server, account).setPassword(token), (m) => m.set(server, account, token));
  }

  delete(server: string, account: string) {
    return this.#keychain(
      async () => {
        await this.#entry(server, account).deletePassword();
      },
      (m) => m.delete(server, account),
    );
  }

  list(server: string) {
    return this.#keychain(
      async () => sessionsOf(server, (await findCredentialsAsync(this.#service)).map((c) => ({ name: c.account, token: c.password }))),
      (m) => m.list(server),
    );
  }

  #named(name: string): AsyncEntry {
    // On Linux, the Secret Service only: the kernel keyring would lose the token at reboot
    // without saying so.
    return new AsyncEntry(this.#service, name, { linux: { store: 'secret-service' } });
  }

  getDeviceToken(server: string) {
    return this.#keychain(async () => (await this.#named(deviceEntryName(server)).getPassword()) ?? null, (m) => m.getDeviceToken(server));
  }

  setDeviceToken(server: string, token: string) {
    return this.#keychain(() => this.#named(deviceEntryName(server)).setPassword(token), (m) => m.setDeviceToken(server, token));
  }

  queueRevocation(server: string, token: string) {
    return this.#keychain(() => this.#named(revocationEntryName(server, token)).setPassword(token), (m) => m.queueRevocation(server, token));
  }

  pendingRevocations(server: string) {
    return this.#keychain(
      async () => revocationsOf(server, (await findCredentialsAsync(this.#service)).map((c) => ({ name: c.account, token: c.password }))),
      (m) => m.pendingRevocations(server),
    );
  }

  revocationDone(server: string, token: string) {
    return this.#keychain(
      async () => {
        await this.#named(revocationEntryName(server, token)).deletePassword();
      },
      (m) => m.revocationDone(server, token),
    );
  }
}

/** Opens the keychain store and checks it works; falls back to memory (with a log line) when not. */
export async function openSessionStore(options: KeychainOptions = {}): Promise<SessionStore> {
  const store = new KeychainSessionStore(options);
  await store.probe();
  return store;
}
