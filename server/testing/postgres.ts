// A fresh, empty PostgreSQL database (per test server, per benchmark), dropped afterwards.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export async function freshPostgresDatabase(adminUrl: string, name = `agentdesk_test_${randomBytes(6).toString('hex')}`) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
