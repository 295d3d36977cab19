// Run by session-store.test.ts in a child process: inside a private D-Bus session with its own
// gnome-keyring (a real Secret Service), or with no reachable bus at all. Exercises the store and
// prints what it observed as one JSON line, which the test asserts on.
import { findCredentialsAsync } from '@napi-rs/keyring';
import { KeychainSessionStore } from '../session-store.js';

const service = process.argv[2] ?? 'AgentDeskTest';
const logs: string[] = [];
const store = new KeychainSessionStore({ service, log: (line) => logs.push(line) });
const server = 'http://localhost:4800/';

const kindAtStart = await store.probe();
await store.set(server, 'acme', 'token-acme-1');
await store.set(server, 'acme', 'token-acme-2'); // replaces, never duplicates
await store.set('https://agentdesk.example', 'acme', 'token-other-server');
const afterSet = await store.get('http://localhost:4800', 'acme');
const listed = await store.list(server);
// What the Secret Service itself holds, read past our store.
const raw = kindAtStart === 'keychain' ? (await findCredentialsAsync(service)).map((c) => c.account).sort() : [];
await store.delete(server, 'acme');
const afterDelete = await store.get(server, 'acme');
const otherServer = await store.get('https://agentdesk.example', 'acme');
await store.delete('https://agentdesk.example', 'acme');
await store.delete(server, 'never-stored'); // deleting nothing is fine

console.log(JSON.stringify({ kindAtStart, kindAtEnd: store.kind, afterSet, listed, raw, afterDelete, otherServer, logs }));
