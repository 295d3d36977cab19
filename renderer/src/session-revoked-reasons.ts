// What the sign-in screen says when the server ended a session on its own: one plain sentence
// per `reason` of session.revoked (and of a revoked session's 401), `revoked.<reason>` in the
// catalogues. Under "security keys only" (security_key_required) most users already have an
// app; what they lack is a key, and the sentence says so.
import { t, type MessageId } from './i18n';
import { en } from './i18n/messages/en';

export function describeSessionRevoked(reason: string): string {
  const id = `revoked.${reason}`;
  return reason !== 'generic' && Object.hasOwn(en, id) ? t(id as MessageId) : t('revoked.generic');
}
