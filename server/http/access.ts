// Access is declared, not remembered (PRODUCT.md "Security rules"): every API operation states,
// where it is registered, who may call it — the session state it needs, the role, and whether it
// is a sensitive change that needs a second factor passed within the last 10 minutes. One hook
// (http/auth.ts) enforces the declaration, an operation without one cannot be registered, and
// the OpenAPI document publishes it on every operation as `x-agentdesk-access`. The contract
// (contract/operations.ts) names each operation's declaration; this file says what each name needs.
import type { AccessName } from '../../contract/operation.js';

/**
 * The session an operation needs:
 * - `none`: no session (sign-in, links, account creation);
 * - `any`: any session of this server, whatever its state (sign out, the event stream);
 * - `second_step`: a session with the second step pending, or an active one (re-authentication);
 * - `enrollment`: a session that must set up a method, or an active one;
 * - `active`: a session that passed every step;
 * - `scim`: no session at all, but an account's SCIM token (server/scim/tokens.ts) as the
 *   bearer: an identity provider provisioning the account's users. A session never passes it,
 *   and a SCIM token never passes any of the others.
 */
export type AccessState = 'none' | 'any' | 'second_step' | 'enrollment' | 'active' | 'scim';

export interface Access {
  state: AccessState;
  /** `admin` needs an active session of an admin of the account. */
  role: 'any' | 'admin';
  /**
   * A sensitive change: the strongest factor the caller has, passed within the last 10 minutes —
   * their second factor, or (a user with no method, who cannot pass one) their password.
   */
  recentSecondFactor: boolean;
}

const declare = (state: AccessState, role: Access['role'], recentSecondFactor: boolean): Access => Object.freeze({ state, role, recentSecondFactor });

/** The declarations operations use: one name for each kind of caller. */
export const access = {
  /** Anyone: no session. */
  public: declare('none', 'any', false),
  /** Any session, whatever its state. */
  anySession: declare('any', 'any', false),
  /** The second step (or re-authentication of an active session). */
  secondStep: declare('second_step', 'any', false),
  /** Reading what enrolment needs: an enrolment session, or an active one. */
  enrollment: declare('enrollment', 'any', false),
  /**
   * Adding a method: an enrolment session, or an active one; a user who already has a method
   * proves it is them with a recent second factor (a first method is guarded by the password).
   */
  enrollmentSensitive: declare('enrollment', 'any', true),
  /** A signed-in user, about themselves. */
  user: declare('active', 'any', false),
  /** A sensitive change a user makes to their own account. */
  userSensitive: declare('active', 'any', true),
  /** An admin reading or doing something that gives, restores or takes no access. */
  admin: declare('active', 'admin', false),
  /** An admin's sensitive change: account settings, and anything that gives, restores or takes access. */
  adminSensitive: declare('active', 'admin', true),
  /** An identity provider with the account's SCIM token: /scim/v2 only (server/http/routes/scim.ts). */
  scim: declare('scim', 'any', false),
} as const satisfies Record<AccessName, Access>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    /**
     * A form another site's page posts (the SAML IdP's auto-submitted response to our ACS): its
     * Origin is the IdP's, so the same-origin check of public POSTs does not apply; what it
     * carries (a signed assertion answering a request we stored) is checked instead.
     */
    crossSiteForm?: boolean;
  }
}

const STATES: readonly AccessState[] = ['none', 'any', 'second_step', 'enrollment', 'active', 'scim'];

/** Throws at registration when an operation declares nothing, or something that is not an Access. */
export function assertDeclared(method: string | string[], url: string, declared: unknown): asserts declared is Access {
  const where = `${Array.isArray(method) ? method.join(',') : method} ${url}`;
  if (declared === undefined) throw new Error(`${where} declares no access: every operation states who may call it (config.access, server/http/access.ts)`);
  const a = declared as Partial<Access>;
  if (!STATES.includes(a.state as AccessState) || (a.role !== 'any' && a.role !== 'admin') || typeof a.recentSecondFactor !== 'boolean') {
    throw new Error(`${where} declares an access that is not {state, role, recentSecondFactor}: ${JSON.stringify(declared)}`);
  }
  if (a.role === 'admin' && a.state !== 'active') throw new Error(`${where}: an admin operation needs an active session`);
  if (a.recentSecondFactor && a.state !== 'active' && a.state !== 'enrollment') throw new Error(`${where}: a sensitive change needs an active (or enrolment) session`);
}
