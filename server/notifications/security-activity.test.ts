// Security activity against a real server and a real SMTP server: each user is told (in the app
// and by email) when a method is added or removed, recovery codes are regenerated, 2FA is reset
// or a sign-in comes from a new device; "This wasn't me" ends every session and alerts admins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { openEvents } from '../testing/event-stream.js';
import { accountWithAdmin, addTotp, addUser, passRecoveryCode, passTotp, signInOn } from '../testing/rollout-helpers.js';

interface Received {
  to: string;
  subject: string;
  text: string;
}

/** A real SMTP server on a free port that keeps every message it accepts. */
async function startSmtp() {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), subject: mail.subject ?? '', text: mail.text ?? '' });
          for (const w of waiters.splice(0)) w();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Waits until a message to `to` matching `pattern` has arrived. */
    async waitFor(to: string, pattern: RegExp, timeoutMs = 5000): Promise<Received> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find((m) => m.to === to && pattern.test(m.text));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${pattern}; got ${JSON.stringify(received.map((m) => [m.to, m.text.slice(0, 80)]))}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

describe('Security activity', () => {
  let server: TestServer;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let admin: Awaited<ReturnType<typeof accountWithAdmin>>;
  const slug = 'activity';

  before(async () => {
    smtp = await startSmtp();
    server = await startTestServer({ openSignup: true, smtpUrl: smtp.url });
    admin = await accountWithAdmin(server, slug);
  });
  after(async () => {
    await server.close();
    await smtp.close();
  });

  const activity = async (token: string) => {
    const res = await server.call('GET', '/me/security-activity', { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { activity: { id: string; kind: string; read: boolean; address: string | null; details: any }[]; unread: number };
  };

  /** A user with an authenticator app, signed in with it on their desk. */
  async function agentWithApp(name: string) {
    const u = await addUser(server, admin.token, slug, name, 'agent', async (email) => {
      const invitation = await smtp.waitFor(email, /#\/[a-z-]+\?token=/);
      return /(https?:\/\/\S+token=[A-Za-z0-9_-]+)/.exec(invitation.text)![1]!;
    });
    const first = await signInOn(server, slug, u.email);
    const { secret, recoveryCodes } = await addTotp(server, first.token);
    const again = await signInOn(server, slug, u.email, first.deviceToken);
    const token = await passTotp(server, again.token, secret);
    return { ...u, secret, token, deviceToken: first.deviceToken, recoveryCodes: recoveryCodes! };
  }

  test('method added and removed, recovery codes regenerated: listed newest first, unread, and mailed', async () => {
    const ana = await agentWithApp('Ana');
    const second = await addTotp(server, ana.token);
    // Adding a method may hand the session a new token.
    const token = second.token;
    const regen = await server.call('POST', '/me/recovery-codes', { token: token, body: {} });
    assert.equal(regen.status, 200, JSON.stringify(regen.body));
    const removed = await server.call('DELETE', `/me/methods/${second.methodId}`, { token: token });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));

    const list = await activity(token);
    assert.deepEqual(list.activity.slice(0, 4).map((a) => a.kind), ['method_removed', 'recovery_codes_regenerated', 'method_added', 'method_added']);
    assert.ok(list.activity.every((a) => !a.read));
    assert.equal(list.unread, list.activity.length);
    assert.ok(list.activity[0]!.address, 'carries the address');

    await smtp.waitFor(ana.email, /was removed from your account/);
    await smtp.waitFor(ana.email, /New recovery codes were generated/);
    const mail = await smtp.waitFor(ana.email, /was added as a second factor/);
    assert.match(mail.subject, /Security change/);
    assert.match(mail.text, /This wasn’t me/);

    // Marking one read, then all.
    const one = await server.call('POST', `/me/security-activity/${list.activity[0]!.id}/read`, { token: token, body: {} });
    assert.equal(one.status, 200);
    assert.equal((await activity(token)).unread, list.unread - 1);
    assert.equal((await server.call('POST', '/me/security-activity/read', { token: token, body: {} })).status, 200);
    assert.equal((await activity(token)).unread, 0);
  });

  test("an admin's reset of 2FA is told to the user, in the app and by email", async () => {
    const bob = await agentWithApp('Bob');
    const reset = await server.call('DELETE', `/account/users/${bob.id}/two-factor`, { token: admin.token });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    await smtp.waitFor(bob.email, /reset your two-factor authentication/);
    const rows = await server.db.selectFrom('security_notifications').select('kind').where('user_id', '=', bob.id).orderBy('id', 'desc').execute();
    assert.equal(rows[0]!.kind, 'two_factor_reset');
  });

  test('a sign-in from a new device is told; one from a known device is not', async () => {
    const cy = await agentWithApp('Cy');
    const before = (await activity(cy.token)).activity.length;
    const known = await signInOn(server, slug, cy.email, cy.deviceToken);
    await passRecoveryCode(server, known.token, cy.recoveryCodes[0]!);
    assert.equal((await activity(cy.token)).activity.length, before);
    const elsewhere = await signInOn(server, slug, cy.email);
    await passRecoveryCode(server, elsewhere.token, cy.recoveryCodes[1]!);
    const list = await activity(cy.token);
    assert.equal(list.activity[0]!.kind, 'new_device_sign_in');
    await smtp.waitFor(cy.email, /signed in to your account from a new device/);
  });

  test('a sign-in on a known device is not told as new, however many devices the user has', async () => {
    // The check read two of the user's devices and called any other one new: from a third
    // device on, every sign-in there was told (and mailed) as a new device.
    const gus = await agentWithApp('Gus');
    const second = await signInOn(server, slug, gus.email);
    await passRecoveryCode(server, second.token, gus.recoveryCodes[0]!);
    const third = await signInOn(server, slug, gus.email);
    await passRecoveryCode(server, third.token, gus.recoveryCodes[1]!);
    const told = async () => (await activity(gus.token)).activity.filter((a) => a.kind === 'new_device_sign_in').length;
    assert.equal(await told(), 2);
    for (const [i, deviceToken] of [gus.deviceToken, second.deviceToken, third.deviceToken].entries()) {
      const again = await signInOn(server, slug, gus.email, deviceToken);
      await passRecoveryCode(server, again.token, gus.recoveryCodes[2 + i]!);
    }
    assert.equal(await told(), 2);
  });

  test("\"This wasn't me\" ends every session of the user (pushed), alerts the admins and is audited", async () => {
    const dee = await agentWithApp('Dee');
    // Attack: someone who has Dee's password and code signs in on another device.
    const other = await signInOn(server, slug, dee.email);
    const otherToken = await passRecoveryCode(server, other.token, dee.recoveryCodes[0]!);
    const streams = [openEvents(server.base, dee.token), openEvents(server.base, otherToken)];
    await Promise.all(streams.map((s) => s.ready));
    const newDevice = (await activity(dee.token)).activity.find((a) => a.kind === 'new_device_sign_in')!;
    assert.ok(newDevice);

    const res = await server.call('POST', `/me/security-activity/${newDevice.id}/not-me`, { token: dee.token, body: {} });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.revokedSessions >= 2);
    for (const s of streams) assert.equal((await s.next('session.revoked', 2000)).data.reason, 'not_me');
    for (const s of streams) s.close();
    for (const token of [dee.token, otherToken]) {
      const gone = await server.call('GET', '/me', { token });
      assert.equal(gone.status, 401);
      assert.equal(gone.body.error.reason, 'not_me');
    }
    // The admins see an open alert naming Dee, and the audit log has it.
    const alerts = await server.call('GET', '/account/security-alerts', { token: admin.token });
    assert.equal(alerts.status, 200);
    const alert = alerts.body.alerts.find((a: any) => a.id === newDevice.id);
    assert.equal(alert.user.id, dee.id);
    assert.equal(alert.kind, 'new_device_sign_in');
    const audit = await server.call('GET', `/account/audit-events?action=security_activity.not_me&userId=${dee.id}`, { token: admin.token });
    assert.equal(audit.body.events.length, 1);
    assert.ok(audit.body.events[0].address);
    // Resolved, it leaves the list.
    assert.equal((await server.call('POST', `/account/security-alerts/${newDevice.id}/resolve`, { token: admin.token, body: {} })).status, 204);
    const after = await server.call('GET', '/account/security-alerts', { token: admin.token });
    assert.ok(!after.body.alerts.some((a: any) => a.id === newDevice.id));
    assert.equal((await server.call('POST', `/account/security-alerts/${newDevice.id}/resolve`, { token: admin.token, body: {} })).status, 404);
  });

  test("\"This wasn't me\" emails every active admin of the account: who, what, when, and the console", async () => {
    const emailedLink = async (email: string) => {
      const invitation = await smtp.waitFor(email, /#\/[a-z-]+\?token=/);
      return /(https?:\/\/\S+token=[A-Za-z0-9_-]+)/.exec(invitation.text)![1]!;
    };
    const hal = await addUser(server, admin.token, slug, 'Hal', 'admin', emailedLink);
    const ivy = await addUser(server, admin.token, slug, 'Ivy', 'admin', emailedLink);
    assert.equal((await server.call('PATCH', `/account/users/${ivy.id}`, { token: admin.token, body: { status: 'deactivated' } })).status, 200);
    // Invited, never accepted: not an active admin yet.
    const jon = await server.call('POST', '/account/users', { token: admin.token, body: { name: 'Jon', email: `jon@${slug}.test`, role: 'admin' } });
    assert.equal(jon.status, 201, JSON.stringify(jon.body));
    const kim = await agentWithApp('Kim');
    // Attack: someone with Kim's password and code signs in on another device; Kim says it was not her.
    await passRecoveryCode(server, (await signInOn(server, slug, kim.email)).token, kim.recoveryCodes[0]!);
    const newDevice = (await activity(kim.token)).activity.find((a) => a.kind === 'new_device_sign_in')!;
    const reportedOn = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' }).format(new Date());
    assert.equal((await server.call('POST', `/me/security-activity/${newDevice.id}/not-me`, { token: kim.token, body: {} })).status, 200);

    // About Kim (the test before left one about Dee in the outbox too).
    const alert = /Kim \(kim@activity\.test\) answered “This wasn’t me”/;
    for (const to of [admin.email, hal.email]) {
      const mail = await smtp.waitFor(to, alert);
      assert.match(mail.subject, /Kim reported activity that was not them \(activity Ltd\)/);
      // Who, when they reported it, the notice's own time and address, and the notice as Kim read it.
      assert.ok(mail.text.includes(`answered “This wasn’t me” on ${reportedOn} at `), mail.text);
      assert.match(mail.text, / UTC to this security notice of \w+ \d{1,2}, \d{4} at \d{1,2}:\d{2}\s[AP]M UTC, from [\d.:a-f]+:/);
      assert.ok(mail.text.includes('Notice: “Someone signed in to your account from a new device”'), mail.text);
      assert.ok(mail.text.includes(`${server.url}/#/admin/security`), mail.text);
    }
    // Once each (not once per instance or per poll), and to no one else: not the deactivated or
    // invited admin, not the agent who reported it.
    await new Promise((r) => setTimeout(r, 1500));
    const alerts = smtp.received.filter((m) => alert.test(m.text));
    assert.deepEqual(alerts.map((m) => m.to).sort(), [admin.email, hal.email].sort());
    // Answering again sends nothing more.
    assert.equal((await server.call('POST', `/me/security-activity/${newDevice.id}/not-me`, { token: kim.token, body: {} })).status, 401);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(smtp.received.filter((m) => alert.test(m.text)).length, 2);
  });

  test("bad input: another user's notification, unknown ids, malformed ids and bodies — 4xx, nothing changed", async () => {
    const eve = await agentWithApp('Eve');
    const fay = await agentWithApp('Fay');
    const feed = (await activity(fay.token)).activity[0]!;
    const sessionsBefore = await server.db.selectFrom('sessions').select('id').where('user_id', '=', fay.id).where('revoked_at', 'is', null).execute();
    const bad: [string, string, unknown, string | undefined, number, string][] = [
      // Attack: one user answering "not me" on another user's notification to sign them out.
      ['POST', `/me/security-activity/${feed.id}/not-me`, {}, eve.token, 404, 'not_found'],
      ['POST', `/me/security-activity/${feed.id}/read`, {}, eve.token, 404, 'not_found'],
      ['POST', '/me/security-activity/0000000000000000/not-me', {}, eve.token, 404, 'not_found'],
      ['POST', '/me/security-activity/NOT-AN-ID/not-me', {}, eve.token, 400, 'invalid_request'],
      ['POST', `/me/security-activity/${feed.id}/not-me`, { extra: 1 }, fay.token, 400, 'invalid_request'],
      ['POST', `/me/security-activity/${feed.id}/not-me`, {}, undefined, 401, 'unauthenticated'],
      ['GET', '/me/security-activity?limit=0', undefined, eve.token, 400, 'invalid_request'],
      ['GET', '/me/security-activity?limit=1000', undefined, eve.token, 400, 'invalid_request'],
      ['GET', '/me/security-activity?colour=red', undefined, eve.token, 400, 'invalid_request'],
      ['GET', '/account/security-alerts', undefined, eve.token, 403, 'forbidden'],
      ['POST', `/account/security-alerts/${feed.id}/resolve`, {}, eve.token, 403, 'forbidden'],
      ['POST', `/account/security-alerts/${feed.id}/resolve`, {}, admin.token, 404, 'not_found'],
    ];
    for (const [method, path, body, token, status, code] of bad) {
      const res = await server.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, `${method} ${path}`);
    }
    const sessionsAfter = await server.db.selectFrom('sessions').select('id').where('user_id', '=', fay.id).where('revoked_at', 'is', null).execute();
    assert.equal(sessionsAfter.length, sessionsBefore.length);
    assert.equal((await activity(fay.token)).activity[0]!.read, false);
  });
});
