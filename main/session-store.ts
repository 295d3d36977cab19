// Where the desktop keeps its session token: the OS keychain (macOS Keychain, Windows Credential
// Manager, the Secret Service on Linux) through @napi-rs/keyring, service "AgentDesk", one entry
// per server and account. Never a plain file. When no keychain answers, the token lives in
// memory only, for this run of the app, and the log says so once.
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
    // On Linux, the Secret Service only: the kernel keyring would lose the token at reboot
    // without saying so.
    return new AsyncEntry(this.#service, entryName(server, account), { linux: { store: 'secret-service' } });
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
}

/** Opens the keychain store and checks it works; falls back to memory (with a log line) when not. */
export async function openSessionStore(options: KeychainOptions = {}): Promise<SessionStore> {
  const store = new KeychainSessionStore(options);
  await store.probe();
  return store;
}
