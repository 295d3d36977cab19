// Recovery codes that a stolen database and key file do not give away (OWASP ASVS 5.0 6.5.2):
// at least 112 bits each, so a keyed (or plain) hash is enough; codes issued in the old format
// keep working until the user regenerates them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createAccount, createUser, enrolTotp, signIn, startTestServer, type TestServer } from '../testing/harness.js';
import { newId } from '../crypto/tokens.js';
import { RECOVERY_CODE_ALPHABET, RECOVERY_CODE_LENGTH } from './recovery-codes.js';

describe('recovery codes', () => {
  let server: TestServer;
  let adminToken: string;
  const slug = 'codes';

  before(async () => {
    server = await startTestServer();
    await createAccount(server, slug);
    adminToken = (await signIn(server, slug, `admin@${slug}.test`)).token;
  });
  after(async () => {
    await server.close();
  });

  test('each code carries at least 112 bits: 24 characters of a 31-character alphabet, shown as 4 groups of 6', async () => {
    // ASVS 6.5.2: lookup secrets of 112 bits or more may be stored under a standard hash. Attack: with the database and
    // the key file, 10-character codes (49.5 bits, ~8·10^14 HMACs) could be found by brute force; 24 need ~2^118.
    const bits = RECOVERY_CODE_LENGTH * Math.log2(new Set(RECOVERY_CODE_ALPHABET).size);
    assert.ok(bits >= 112, `${bits.toFixed(1)} bits`);
    const u = await createUser(server, adminToken, slug, 'Cleo');
    const { recoveryCodes } = await enrolTotp(server, (await signIn(server, slug, u.email)).token);
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const group = `[${RECOVERY_CODE_ALPHABET}]{6}`;
    for (const code of recoveryCodes) assert.match(code, new RegExp(`^${group}-${group}-${group}-${group}$`));
    // Stored as hashes only.
    const stored = await server.db.selectFrom('recovery_codes').select('code_hash').where('user_id', '=', u.id).execute();
    for (const { code_hash } of stored) assert.match(code_hash, /^[0-9a-f]{64}$/);
    assert.ok(!stored.some((s) => recoveryCodes.some((c) => s.code_hash.includes(c.replace(/-/g, '')))));
    // A new code passes the second step typed in capitals and with spaces.
    const pending = await signIn(server, slug, u.email);
    const typed = recoveryCodes[3]!.toUpperCase().replace(/-/g, ' ');
    const res = await server.call('POST', '/sessions/current/second-factor', { token: pending.token, body: { method: 'recovery_code', code: typed } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((await server.call('GET', '/me', { token: res.body.token })).body.recoveryCodesOutdated, false);
  });

  test('codes of the old format (10 characters) keep working until the user regenerates them', async () => {
    // ASVS 6.5.2: the migration to 112-bit codes; old rows stay usable (each once) until regenerated.
    const u = await createUser(server, adminToken, slug, 'Dee');
    const enrolled = await enrolTotp(server, (await signIn(server, slug, u.email)).token);
    // Two codes issued before issue 18, hashed as they were then (HMAC-SHA-256 of the normalised code).
    const key = server.context.box.deriveKey('recovery-codes');
    const old = ['abcde-fghjk', 'mnpqr-stuvw'];
    await server.db
      .insertInto('recovery_codes')
      .values(old.map((code) => ({ id: newId(), user_id: u.id, code_hash: createHmac('sha256', key).update(code.replace(/-/g, '')).digest('hex'), used_at: null })))
      .execute();
    const first = await signIn(server, slug, u.email);
    const ok = await server.call('POST', '/sessions/current/second-factor', { token: first.token, body: { method: 'recovery_code', code: old[0] } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // My security asks the user to replace them.
    assert.equal((await server.call('GET', '/me', { token: ok.body.token })).body.recoveryCodesOutdated, true);
    const reuse = await signIn(server, slug, u.email);
    assert.equal((await server.call('POST', '/sessions/current/second-factor', { token: reuse.token, body: { method: 'recovery_code', code: old[0] } })).body.error.code, 'invalid_code');
    // Regenerating replaces every code, the old ones too.
    const regenerated = await server.call('POST', '/me/recovery-codes', { token: ok.body.token, body: {} });
    assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
    assert.equal((regenerated.body.recoveryCodes as string[])[0]!.length, 27);
    assert.equal((await server.call('GET', '/me', { token: ok.body.token })).body.recoveryCodesOutdated, false);
    const after = await signIn(server, slug, u.email);
    assert.equal((await server.call('POST', '/sessions/current/second-factor', { token: after.token, body: { method: 'recovery_code', code: old[1] } })).body.error.code, 'invalid_code');
    assert.ok(enrolled.recoveryCodes.length === 10);
  });
});
