import { SecurityKeyError } from './errors.js';
import type { AuthenticatorInfo } from './ctap2.js';

export type UserVerificationRequirement = 'required' | 'preferred' | 'discouraged';

/** How a request will prove user verification on a given key. */
export type UvPlan = 'none' | 'builtin' | 'pin';

/**
 * What the server asked for, combined with what the key can do and insists on (CTAP 2.1 §6.1.2
 * step 7 for makeCredential: a key with a PIN needs it unless it declares makeCredUvNotRqd, and
 * always for resident credentials; `alwaysUv` keys need it for everything).
 */
export function planUserVerification(
  info: AuthenticatorInfo,
  requirement: UserVerificationRequirement,
  operation: 'makeCredential' | 'getAssertion',
  residentKey = false,
): UvPlan {
  const pinSet = info.options.clientPin === true;
  const builtin = info.options.uv === true;
  const wanted = requirement === 'required' || (requirement === 'preferred' && (pinSet || builtin)) || info.options.alwaysUv === true;
  const keyInsists = operation === 'makeCredential' && pinSet && (residentKey || info.options.makeCredUvNotRqd !== true);
  if (!wanted && !keyInsists) return 'none';
  if (builtin) return 'builtin';
  if (pinSet) return 'pin';
  if (requirement !== 'required' && info.options.alwaysUv !== true) return 'none';
  if (info.options.clientPin === false) throw new SecurityKeyError('pin_not_set');
  throw new SecurityKeyError('not_supported', "This security key can't verify who is using it (it has no PIN or fingerprint support), and this service requires that. Use another key.");
}
