// What applies to the signed-in user, and why (My security's "What applies to you", GET /me only):
// whether 2FA is required of them and through which part of the scope (requirement-scope.ts
// whyInScope), which methods count, the session lifetimes, sign-in networks, SSO only and
// remembered devices. Never the network ranges themselves: an agent learns only that a rule exists.
import type { Kysely } from 'kysely';
import type { Applies } from '../../contract/answers.js';
import type { Database } from '../store/schema.js';
import type { AuthenticatedSession, Sessions } from '../sessions/sessions.js';
import { hasNetworkRule } from '../sessions/sign-in-networks.js';
import { whyInScope } from './requirement-scope.js';

export async function appliesTo(db: Kysely<Database>, sessions: Sessions, auth: Pick<AuthenticatedSession, 'user' | 'account'>): Promise<Applies> {
  // The policy, networks and lifetimes came with the session's own lookup; only the rest is read.
  const [rest, why] = await Promise.all([
    db.selectFrom('accounts').select(['allow_recovery_codes_under_keys_only', 'remember_device_days', 'sso_only']).where('id', '=', auth.account.id).executeTakeFirstOrThrow(),
    whyInScope(db, { id: auth.user.id, accountId: auth.account.id, role: auth.user.role }),
  ]);
  const account = { ...auth.account, ...rest };
  const { idleMs, absoluteMs } = sessions.lifetimesOf(account);
  const breakGlass = auth.user.role === 'admin' && auth.user.break_glass === 1;
  const keysOnly = account.second_factor_policy === 'security_keys';
  let ssoOnly: Applies['ssoOnly'] = null;
  if (account.sso_only === 1) {
    // The provider to name: the one the user last came through, else the account's only one.
    const providers = await db
      .selectFrom('identity_providers as p')
      .leftJoin('users as u', (join) => join.onRef('u.last_sso_provider_id', '=', 'p.id').on('u.id', '=', auth.user.id))
      .select(['p.name', 'u.id as mine'])
      .where('p.account_id', '=', auth.account.id)
      .execute();
    const provider = providers.find((p) => p.mine !== null) ?? (providers.length === 1 ? providers[0] : undefined);
    ssoOnly = breakGlass ? { exempt: true, provider: null } : { exempt: false, provider: provider?.name ?? null };
  }
  return {
    // In scope (and the reasons) whether or not the requirement is on yet: with a deployment day,
    // the screen says from when it will be required and why.
    twoFactor: { required: auth.account.require_two_factor === 1, inScope: why.everyone || why.role || why.groups.length > 0, everyone: why.everyone, role: why.role ? auth.user.role : null, groups: why.groups },
    methods: keysOnly ? 'security_keys' : 'any',
    recoveryCodesUnderKeysOnly: keysOnly && account.allow_recovery_codes_under_keys_only === 1,
    idleMinutes: Math.round(idleMs / 60_000),
    absoluteHours: Math.round(absoluteMs / 3_600_000),
    signInNetworks: !hasNetworkRule(account.allowed_networks) ? 'none' : breakGlass ? 'exempt' : 'restricted',
    ssoOnly,
    rememberDeviceDays: Number(account.remember_device_days ?? 0),
  };
}
