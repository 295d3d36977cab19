// Command line: `serve` runs the identity service; `create-account` makes the first account and
// its admin without going through HTTP.
import { parseArgs } from 'node:util';
import { createAccount } from './people/accounts.js';
import { PasswordPolicy } from './people/passwords.js';
import { configFromEnv } from './config.js';
import { startServer } from './start.js';
import { openStore } from './store/database.js';
import { Value } from 'typebox/value';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSync } from 'otplib';
import { CreateAccountBody } from '../contract/schemas.js';

const usage = `Usage:
  agentdesk serve                       start the server (HOST, PORT, AGENTDESK_DATA_DIR, ... see README)
  agentdesk create-account --name NAME --slug SLUG --admin-name NAME --admin-email EMAIL --admin-password PASSWORD
  agentdesk totp-code SECRET            print the current authenticator-app code for SECRET (for trying the API with curl)`;

/**
 * The package's root: the nearest folder up from this module holding package.json. This module
 * runs from server/cli.ts (tsx) or bundled into dist/server/cli.js (npm run build:server).
 */
function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/** The built web console, served at / when present (npm run web builds it). */
const builtWebConsole = join(packageRoot(), 'dist', 'renderer');

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  const config = configFromEnv();
  if (command === 'serve' || command === undefined) {
    if (!config.webRoot && existsSync(`${builtWebConsole}/index.html`)) config.webRoot = builtWebConsole;
    const server = await startServer(config);
    console.log(`AgentDesk identity service listening on ${server.url} (data: ${config.databaseUrl ? 'PostgreSQL' : config.dataDir}${config.webRoot ? '; web console at /' : ''})`);
    // SIGTERM (a rolling restart, `docker stop`, systemd): a graceful shutdown, see
    // docs/deployment.md. A second signal while draining exits at once.
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) process.exit(1);
      stopping = true;
      const started = Date.now();
      console.log(`AgentDesk: ${signal}: draining (up to ${config.shutdownGraceMs} ms)`);
      try {
        await server.close();
        console.log(`AgentDesk: stopped after ${Date.now() - started} ms`);
        process.exit(0);
      } catch (error) {
        console.error(`AgentDesk: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      }
    };
    process.on('SIGINT', (signal) => void stop(signal));
    process.on('SIGTERM', (signal) => void stop(signal));
    return;
  }
  if (command === 'totp-code') {
    const secret = rest[0];
    if (!secret || !/^[A-Z2-7]+=*$/i.test(secret)) {
      console.error(usage);
      process.exit(2);
    }
    console.log(generateSync({ secret: secret.toUpperCase() }));
    return;
  }
  if (command === 'create-account') {
    const { values } = parseArgs({
      args: rest,
      options: {
        name: { type: 'string' },
        slug: { type: 'string' },
        'admin-name': { type: 'string' },
        'admin-email': { type: 'string' },
        'admin-password': { type: 'string' },
      },
    });
    const body = {
      name: values.name,
      slug: values.slug,
      admin: { name: values['admin-name'], email: values['admin-email'], password: values['admin-password'] ?? process.env.AGENTDESK_ADMIN_PASSWORD },
    };
    if (!Value.Check(CreateAccountBody, body)) {
      console.error([...Value.Errors(CreateAccountBody, body)].map((e) => `${e.instancePath || '/'}: ${e.message}`).join('\n'));
      console.error(usage);
      process.exit(2);
    }
    const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
    try {
      const result = await createAccount(store.db, new PasswordPolicy({ pwnedPasswordsUrl: config.pwnedPasswordsUrl }), { ...body, openSignup: true });
      console.log(`Created account ${result.account.slug} with admin ${result.user.email}`);
    } finally {
      await store.close();
    }
    return;
  }
  console.error(usage);
  process.exit(2);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
