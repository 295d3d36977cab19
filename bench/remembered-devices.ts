// Remembered personal devices (issue 21): a whole sign-in from a remembered device (the password
// step answers `active` at once) against a whole sign-in with the second step (password, then the
// app's code), and the password step alone, on one server with remembering on (7 days). Agents
// at their own desks, declared personal; half of them remembered. The common path with
// remembering off adds no statement (server/sessions/remembered-devices.test.ts counts them).
//
//   npm run bench -- remember
import { LEVELS, runLoad } from './lib/load.js';
import { isMain, table, writeResults, type Figure } from './lib/report.js';
import { withSeededServer } from './lib/scenario.js';
import { BENCH_PASSWORD, benchPasswordHash, deviceRow, insertMany, seedAccount, totpMethod, totpSecret, userRow } from './lib/seed.js';
import { loadFigures } from './second-step.js';
import type { DevicesTable, DeviceUsersTable, MethodsTable, RememberedDevicesTable, UsersTable } from '../server/store/schema.js';

// Each agent's code is used once per 30-second step: the full sign-ins cycle through enough
// agents that none comes round again within one step at this machine's rate (argon2id-bound).
const REMEMBERED = 500;
const ASKED = 2000;
const DAY = 24 * 3_600_000;

export async function runRemember(): Promise<Figure[]> {
  const scenario = await withSeededServer('remember', async (db, box) => {
    const hash = await benchPasswordHash();
    const account = await seedAccount(db, box, 'bench', hash);
    await db.updateTable('accounts').set({ remember_device_days: 7 }).where('id', '=', account.accountId).execute();
    const now = Date.now();
    const users: UsersTable[] = [];
    const methods: MethodsTable[] = [];
    const devices: DevicesTable[] = [];
    const deviceUsers: DeviceUsersTable[] = [];
    const remembered: RememberedDevicesTable[] = [];
    const agents: { email: string; deviceToken: string; secret: string }[] = [];
    for (let i = 0; i < REMEMBERED + ASKED; i++) {
      const user = userRow(account.accountId, i, account.slug, hash, true, now);
      const secret = totpSecret();
      users.push(user);
      methods.push(totpMethod(box, user.id, account.accountId, secret, now));
      const device = deviceRow(now);
      devices.push({ ...device.row, shared: 0 });
      deviceUsers.push({ device_id: device.row.id, user_id: user.id, account_id: account.accountId, first_signed_in_at: now, last_signed_in_at: now });
      if (i < REMEMBERED) remembered.push({ device_id: device.row.id, user_id: user.id, account_id: account.accountId, created_at: now, expires_at: now + 7 * DAY });
      agents.push({ email: user.email, deviceToken: device.token, secret });
    }
    await db.transaction().execute(async (trx) => {
      await insertMany(trx, 'users', users);
      await insertMany(trx, 'methods', methods);
      await insertMany(trx, 'devices', devices);
      await insertMany(trx, 'device_users', deviceUsers);
      await insertMany(trx, 'remembered_devices', remembered);
    });
    return { slug: account.slug, agents };
  });
  const { server, seeded } = scenario;
  const where = { host: server.host, port: server.port, origin: server.origin, serverPid: server.pid };
  const op = (a: { email: string; deviceToken: string; secret: string }) => ({ account: seeded.slug, email: a.email, password: BENCH_PASSWORD, deviceToken: a.deviceToken });
  const rememberedOps = seeded.agents.slice(0, REMEMBERED).map((a) => ({ ...op(a), state: 'active' }));
  const askedOps = seeded.agents.slice(REMEMBERED);
  try {
    const skipped = await runLoad({ ...where, kind: 'sign_in', reuse: true, levels: LEVELS, ops: rememberedOps }, scenario.dataDir);
    const passwordStep = await runLoad({ ...where, kind: 'sign_in', reuse: true, levels: LEVELS, ops: askedOps.map((a) => ({ ...op(a), state: 'two_factor_required' })) }, scenario.dataDir);
    const full = await runLoad({ ...where, kind: 'sign_in_totp', reuse: true, levels: LEVELS, ops: askedOps.map((a) => ({ ...op(a), secret: a.secret })) }, scenario.dataDir);
    const figures: Figure[] = [
      ...loadFigures('sign-in from a remembered device (no second step)', skipped),
      ...loadFigures('password step, remembering on, device not remembered', passwordStep),
      ...loadFigures('sign-in with the second step (password + app code)', full),
    ];
    // Every answer was what it had to be (a remembered device active at once, the others asked).
    for (const f of figures) {
      const errors = (f.details as { errors: number }).errors;
      f.target = '0 errors';
      f.pass = errors === 0;
    }
    return figures;
  } finally {
    await scenario.close();
  }
}

if (isMain(import.meta.url)) {
  const figures = await runRemember();
  writeResults('remember', figures);
  console.log(table(figures));
}
