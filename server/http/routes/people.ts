// People management: the users list at scale and its CSV export, invitations (one, or a CSV of
// them), role and status changes, deletion, reset links; and the user's side: accepting an
// invitation, changing a password, resetting a forgotten one.
import type { FastifyInstance } from 'fastify';
import { access } from '../access.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
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
import { Email, IdParams, LanguageOrDevice, Password, PersonName, Role } from '../schemas.js';
import type { AuthenticatedSession } from '../../sessions/sessions.js';

const strict = { additionalProperties: false } as const;
/** A link's token: 32 random bytes, base64url. */
const LinkToken = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });
const Status = Type.Union([Type.Literal('invited'), Type.Literal('active'), Type.Literal('deactivated')]);
const TwoFactor = Type.Union([Type.Literal('none'), Type.Literal('totp'), Type.Literal('security_key'), Type.Literal('no_security_key')]);
const Sort = Type.String({ pattern: '^-?(?:name|email|lastSignIn|created)$', description: 'name, email, lastSignIn or created; a leading "-" sorts descending.' });

const filterFields = {
  q: Type.Optional(Type.String({ maxLength: 120 })),
  twoFactor: Type.Optional(TwoFactor),
  role: Type.Optional(Role),
  status: Type.Optional(Status),
  signedIn: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
};
export const ListUsersQuery = Type.Object(
  {
    ...filterFields,
    sort: Type.Optional(Sort),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$' })),
    offset: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$' })),
  },
  strict,
);
export const ExportUsersQuery = Type.Object(filterFields, strict);
export const ImportQuery = Type.Object({ dryRun: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }, strict);
export const InviteUserBody = Type.Object({ name: PersonName, email: Email, role: Role, language: Type.Optional(LanguageOrDevice) }, strict);
export const ChangeUserBody = Type.Object({ role: Type.Optional(Role), status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])) }, { ...strict, minProperties: 1 });
export const TokenBody = Type.Object({ token: LinkToken }, strict);
export const AcceptInvitationBody = Type.Object({ token: LinkToken, password: Password }, strict);
export const PasswordResetBody = Type.Object(
  {
    account: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 1, maxLength: 254 }),
    /** The desktop app's device token (the web console sends its cookie): a device the user signed in on asks with its own budget. */
    deviceToken: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$' })),
  },
  strict,
);
export const CompleteResetBody = Type.Object({ token: LinkToken, newPassword: Password }, strict);
export const ChangePasswordBody = Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, strict);

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
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
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

  r.get('/account/users', { config: { access: access.admin }, schema: { querystring: ListUsersQuery, tags: ['admin'], summary: 'Users: search, filters, sort, pages with the total, 2FA methods, last sign-in' } }, async (request) => {
    const q = request.query;
    return listUsers(db, authOf(request).account.id, { ...q, signedIn: flag(q.signedIn), ...sortOf(q.sort), limit: Number(q.limit ?? 50), offset: Number(q.offset ?? 0) });
  });

  r.get('/account/users/export', { config: { access: access.admin }, schema: { querystring: ExportUsersQuery, tags: ['admin'], summary: 'The compliance report as CSV (the same filters as the list), streamed' } }, async (request, reply) => {
    const auth = authOf(request);
    const filters: UserFilters = { ...request.query, signedIn: flag(request.query.signedIn) };
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

  r.post('/account/users/import', { config: { access: access.adminSensitive }, bodyLimit: IMPORT_BODY_LIMIT, schema: { querystring: ImportQuery, tags: ['admin'], summary: `Bulk invitation from a CSV (name, email, role; at most ${MAX_IMPORT_ROWS} rows): a dry run, or all rows or none` } }, async (request, reply) => {
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
  });

  r.post('/account/users', { config: { access: access.adminSensitive }, schema: { body: InviteUserBody, tags: ['admin'], summary: 'Invite a user (inviting an admin needs a recent second factor)' } }, async (request, reply) => {
    const auth = authOf(request);
    if (request.body.role === 'admin') assertMayGrantAdmin(auth.user);
    const inviter = inviterOf(request, auth);
    const sent = await inviteUser(db, inviter, request.body);
    ctx.mail.sendLater([invitationMail(inviter, sent)]);
    reply.code(201);
    return { user: sent.user, invitation: invitationAnswer(sent) };
  });

  r.patch('/account/users/:id', { config: { access: access.adminSensitive }, schema: { params: IdParams, body: ChangeUserBody, tags: ['admin'], summary: 'Change a role, deactivate or reactivate (role changes and deactivation need a recent second factor)' } }, async (request) => {
    const auth = authOf(request);
    if (request.body.role === 'admin') assertMayGrantAdmin(auth.user);
    return changeUser(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) }, request.params.id, request.body);
  });

  r.delete('/account/users/:id', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Delete a user (needs a recent second factor); the audit log keeps their name' } }, async (request) => {
    const auth = authOf(request);
    return deleteUser(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, request: requestContext(request) }, request.params.id);
  });

  r.post('/account/users/:id/invitation', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Send the invitation again (a new link; the old one stops working)' } }, async (request) => {
    const auth = authOf(request);
    const inviter = inviterOf(request, auth);
    const sent = await resendInvitation(db, inviter, request.params.id);
    ctx.mail.sendLater([invitationMail(inviter, sent)]);
    return { user: sent.user, invitation: invitationAnswer(sent) };
  });

  r.delete('/account/users/:id/invitation', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Revoke a pending invitation' } }, async (request, reply) => {
    const auth = authOf(request);
    await revokeInvitation(db, inviterOf(request, auth), request.params.id);
    reply.code(204);
    return reply.send();
  });

  r.post('/account/users/:id/password-reset', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: 'Send a user a password reset link' } }, async (request) => {
    const auth = authOf(request);
    const sent = await sendPasswordReset(db, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id, publicOrigin, request: requestContext(request) });
    ctx.mail.sendLater([sent.mail]);
    return { expiresAt: new Date(sent.expiresAt).toISOString(), emailed: ctx.mail.configured, ...(ctx.mail.configured ? {} : { link: sent.link }) };
  });

  r.delete('/account/users/:id/two-factor', { config: { access: access.adminSensitive }, schema: { params: IdParams, tags: ['admin'], summary: "Reset a user's 2FA (requires a recent second factor)" } }, async (request) => {
    const auth = authOf(request);
    return resetTwoFactor(db, ctx.events, { accountId: auth.account.id, actorId: auth.user.id, userId: request.params.id });
  });

  // ---- The user's side: no session (links), or their own session (change password).

  r.post('/invitations/preview', { config: { access: access.public }, schema: { body: TokenBody, tags: ['people'], summary: 'Whose invitation a link is (before choosing a password)' } }, async (request) => {
    return previewInvitation(ctx, { token: request.body.token, address: request.ip });
  });

  r.post('/invitations/accept', { config: { access: access.public }, schema: { body: AcceptInvitationBody, tags: ['people'], summary: 'An invited user chooses their password (then signs in as usual)' } }, async (request) => {
    return acceptInvitationLink(ctx, { ...request.body, request: requestContext(request), log: request.log, address: request.ip });
  });

  r.post('/password-resets', { config: { access: access.public }, schema: { body: PasswordResetBody, tags: ['people'], summary: 'Email a reset link: 202 whether or not the email exists' } }, async (request, reply) => {
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
    return { accepted: true };
  });

  r.post('/password-resets/complete', { config: { access: access.public }, schema: { body: CompleteResetBody, tags: ['people'], summary: 'Choose a new password from a reset link: every session ends; sign in as usual' } }, async (request) => {
    return completeResetLink(ctx, { ...request.body, request: requestContext(request), log: request.log, address: request.ip });
  });

  r.put('/me/password', { config: { access: access.userSensitive }, schema: { body: ChangePasswordBody, tags: ['me'], summary: 'Change my password (current password, and a recent second factor when I have a method); my other sessions end' } }, async (request) => {
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
