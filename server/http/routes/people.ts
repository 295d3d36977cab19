// People management: the users list at scale and its CSV export, invitations (one, or a CSV of
// them), role and status changes, deletion, reset links; and the user's side: accepting an
// invitation, changing a password, resetting a forgotten one.
import { operations } from '../../../contract/operations.js';
import { route } from '../contract-routes.js';
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { Type } from 'typebox';
import { requestContext } from '../../audit/audit.js';
import type { ServerContext } from '../../context.js';
import { resetTwoFactor } from '../../people/accounts.js';
import { importInvitations, checkImport, parseImportCsv, MAX_IMPORT_ROWS } from '../../people/bulk-import.js';
import { invitationMail, inviteUser, resendInvitation, revokeInvitation, type Inviter, type SentInvitation } from '../../people/invitations.js';
import { assertMayGrantAdmin, changeUser, deleteUser } from '../../people/lifecycle.js';
import { sendPasswordReset } from '../../people/password-resets.js';
import { presentedDeviceToken } from '../cookies.js';
import { allUsers, listUsers, type ListedUser, type UserFilters, type UserSort } from '../../people/users.js';
import { acceptInvitationLink, changeMyPassword, completeResetLink, countResetRequest, previewInvitation, resetMailFor } from '../../sessions/strategies/links.js';
import { authOf } from '../auth.js';
import { ApiError } from '../errors.js';
import type { AuthenticatedSession } from '../../sessions/sessions.js';


/** The import file: 10,000 rows of name, email and role fit well within this. */
const IMPORT_BODY_LIMIT = 4 * 1024 * 1024;

/** Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return) as a formula. */
export function csvSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const methodLabels = { totp: 'authenticator app', security_key: 'security key' } as const;

function exportRow(u: ListedUser): string[] {
  return [u.name, u.email, u.role, u.status, u.methodTypes.map((t) => methodLabels[t]).join('; ') || 'none', u.lastSignInAt ?? '', u.language ?? ''].map(csvSafe);
}

const flag = (value: 'true' | 'false' | undefined) => (value === undefined ? undefined : value === 'true');

function sortOf(sort: string | undefined): { sort: UserSort; descending: boolean } {
  if (!sort) return { sort: 'name', descending: false };
  return { sort: sort.replace(/^-/, '') as UserSort, descending: sort.startsWith('-') };
}

export function peopleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { db } = ctx;
  const publicOrigin = ctx.rp.origins[0]!;

  // The bulk invitation's body: a CSV file, read as text (this scope only).
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_request, body, done) => done(null, body));

  function inviterOf(request: Parameters<typeof requestContext>[0], auth: AuthenticatedSession): Inviter {
    return { accountId: auth.account.id, accountName: auth.account.name, actor: { id: auth.user.id, name: auth.user.name, email: auth.user.email }, publicOrigin, request: requestContext(request) };
  }

  /** What the admin is told about a link: emailed, or (no mail configured) the link to hand over. */
  function invitationAnswer(sent: SentInvitation) {
    return { expiresAt: new Date(sent.expiresAt).toISOString(), emailed: ctx.mail.configured, ...(ctx.mail.configured ? {} : { link: sent.link }) };
  }

  route(app, operations.listUsers, async (request) => {
    const q = request.query;
    return listUsers(db, authOf(request).account.id, { ...q, signedIn: flag(q.signedIn), inScope: flag(q.inScope), ...sortOf(q.sort), limit: Number(q.limit ?? 50), offset: Number(q.offset ?? 0) });
  });

  route(app, operations.exportUsers, async (request, reply) => {
    const auth = authOf(request);
    const filters: UserFilters = { ...request.query, signedIn: flag(request.query.signedIn), inScope: flag(request.query.inScope) };
    const rows = Readable.from(
      (async function* () {
        yield ['name', 'email', 'role', 'status', 'two-factor methods', 'last sign-in', 'language'];
        for await (const u of allUsers(db, auth.account.id, filters)) yield exportRow(u);
      })(),
    );
    const csv = stringify({ record_delimiter: '\r\n' });
    rows.on('error', (error) => {
      request.log.error({ err: error }, 'export failed');
      csv.destroy(error);
    });
    const day = new Date().toISOString().slice(0, 10);
    reply.header('content-type', 'text/csv; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${auth.account.slug}-users-${day}.csv"`);
    return reply.send(rows.pipe(csv));
  });

  route(app, operations.importUsers, async (request, reply) => {
    const auth = authOf(request);
    if (typeof request.body !== 'string') throw new ApiError('unsupported_media_type', 'Send the file as text/csv.');
    const rows = parseImportCsv(request.body);
    if (request.query.dryRun !== 'true' && rows.some((row) => row.role === 'admin')) assertMayGrantAdmin(auth.user);
    if (request.query.dryRun === 'true') {
      const check = await checkImport(db, auth.account.id, rows);
      return { dryRun: true, counts: check.counts, errors: check.errors };
    }
    const inviter = inviterOf(request, auth);
    const { check, sent } = await importInvitations(db, inviter, rows);
    ctx.mail.sendLater(sent.map((s) => invitationMail(inviter, s)));
    reply.code(201);
    return {
      dryRun: false,
      counts: check.counts,
      emailed: ctx.mail.configured,
      invitations: sent.map((s) => ({ user: s.user, expiresAt: new Date(s.expiresAt).toISOString(), ...(ctx.mail.configured ? {} : { link: s.link }) })),
    };
  }, { bodyLimit: IMPORT_BODY_LIMIT });

  route(app, operations.inviteUser, async (request, reply) => {
    const auth = authOf(request);
    if (request.body.role === 'admin') assertMayGrantAdmin(auth.user);
    const inviter = inviterOf(request, auth);
    const sent = await inviteUser(db, inviter, request.body);
    ctx.mail.sendLater([invitationMail(inviter, sent)]);
    reply.code(201);
    return { user: sent.user, invitation: invitationAnswer(sent) };
  });

  route(app, operations.updateUser, async (request) => {
    const auth = authOf(request);
    if (request.body.role === 'admin') assertMayGrantAdmin(auth.user);
    return changeUser(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) }, request.params.id, request.body);
  });

  route(app, operations.deleteUser, async (request) => {
    const auth = authOf(request);
    return deleteUser(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) }, request.params.id);
  });

  route(app, operations.resendInvitation, async (request) => {
    const auth = authOf(request);
    const inviter = inviterOf(request, auth);
    const sent = await resendInvitation(db, inviter, request.params.id);
    ctx.mail.sendLater([invitationMail(inviter, sent)]);
    return { user: sent.user, invitation: invitationAnswer(sent) };
  });

  route(app, operations.revokeInvitation, async (request, reply) => {
    const auth = authOf(request);
    await revokeInvitation(db, inviterOf(request, auth), request.params.id);
    reply.code(204);
    return reply.send();
  });

  route(app, operations.sendPasswordReset, async (request) => {
    const auth = authOf(request);
    const sent = await sendPasswordReset(db, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id, publicOrigin, request: requestContext(request) });
    ctx.mail.sendLater([sent.mail]);
    return { expiresAt: new Date(sent.expiresAt).toISOString(), emailed: ctx.mail.configured, ...(ctx.mail.configured ? {} : { link: sent.link }) };
  });

  route(app, operations.resetUserTwoFactor, async (request) => {
    const auth = authOf(request);
    return resetTwoFactor(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id });
  });

  // ---- The user's side: no session (links), or their own session (change password).

  route(app, operations.previewInvitation, async (request) => {
    return previewInvitation(ctx, { token: request.body.token, address: request.ip });
  });

  route(app, operations.acceptInvitation, async (request) => {
    return acceptInvitationLink(ctx, { ...request.body, request: requestContext(request), log: request.log, address: request.ip });
  });

  route(app, operations.requestPasswordReset, async (request, reply) => {
    const { account, email } = request.body;
    await countResetRequest(ctx, request.ip);
    const input = { account, email, deviceToken: presentedDeviceToken(request, request.body.deviceToken), publicOrigin, request: requestContext(request) };
    // Everything that depends on the email runs after the answer (sessions/strategies/links.ts).
    setImmediate(() => {
      resetMailFor(ctx, input).then(
        (mail) => mail && ctx.mail.sendLater([mail]),
        (error: unknown) => request.log.error({ err: error }, 'password reset request failed'),
      );
    });
    reply.code(202);
    return { accepted: true as const };
  });

  route(app, operations.completePasswordReset, async (request) => {
    return completeResetLink(ctx, { ...request.body, request: requestContext(request), log: request.log, address: request.ip });
  });

  route(app, operations.changePassword, async (request) => {
    const auth = authOf(request);
    return changeMyPassword(ctx, {
      userId: auth.user.id,
      accountId: auth.account.id,
      sessionId: auth.session.id,
      currentPassword: request.body.currentPassword,
      newPassword: request.body.newPassword,
      request: requestContext(request),
      log: request.log,
    });
  });
}
