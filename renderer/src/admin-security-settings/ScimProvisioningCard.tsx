// Admin → Security Settings → Provisioning (SCIM): the base URL an identity provider (Okta,
// Entra ID, OneLogin) is given, and the account's SCIM tokens: create one (shown once, to copy
// into the provider), see when each was last used, revoke one. Creating and revoking are
// sensitive changes: they ask for the second factor (useSession().sensitive).
import { useId, useState } from 'react';
import type { ScimToken, ScimTokenCreated } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { formatDateTime } from '../dates';
import { useApiMutation, useApiQuery } from '../data/operations';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';

export function ScimProvisioningCard() {
  const t = useT();
  const tokens = useApiQuery('listScimTokens');
  const { sensitive } = useSession();
  const create = useApiMutation('createScimToken');
  const revoke = useApiMutation('revokeScimToken');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ScimTokenCreated | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const nameId = useId();

  async function run(change: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await change();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const live = (tokens.data?.tokens ?? []).filter((token) => token.revokedAt === null);
  const revoked = (tokens.data?.tokens ?? []).filter((token) => token.revokedAt !== null);

  return (
    <section className="card" aria-labelledby="scim-title">
      <div className="card-header">
        <h2 id="scim-title">{t('scim.title')}</h2>
      </div>
      <p className="muted small">{t('scim.intro')}</p>
      {tokens.error ? <Notice tone="error">{describeError(tokens.error)}</Notice> : null}
      {tokens.data ? <CopyField label={t('scim.baseUrl')} value={tokens.data.baseUrl} /> : null}
      {created ? (
        <Notice tone="success">
          <p>{t('scim.createdOnce', { name: created.name })}</p>
          <CopyField label={t('scim.token')} value={created.token} />
        </Notice>
      ) : null}
      <form
        className="field"
        onSubmit={(event) => {
          event.preventDefault();
          void run(async () => {
            const done = await sensitive(() => create.mutateAsync({ body: { name: name.trim() } }));
            if (done) {
              setCreated(done);
              setName('');
            }
          });
        }}
      >
        <label htmlFor={nameId}>{t('scim.name')}</label>
        <input id={nameId} value={name} maxLength={80} placeholder={t('scim.namePlaceholder')} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={busy || name.trim() === ''}>
          {t('scim.create')}
        </button>
      </form>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {tokens.data && live.length === 0 ? <p className="muted small">{t('scim.none')}</p> : null}
      {live.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('scim.column.name')}</th>
              <th scope="col">{t('scim.column.created')}</th>
              <th scope="col">{t('scim.column.lastUsed')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('scim.column.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {live.map((token: ScimToken) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{formatDateTime(token.createdAt)}</td>
                <td>{formatDateTime(token.lastUsedAt, t('scim.neverUsed'))}</td>
                <td>
                  <button
                    type="button"
                    className="button-secondary"
                    disabled={busy}
                    aria-label={t('scim.revokeNamed', { name: token.name })}
                    onClick={() =>
                      void run(async () => {
                        await sensitive(() => revoke.mutateAsync({ params: { id: token.id } }));
                        if (created?.id === token.id) setCreated(null);
                      })
                    }
                  >
                    {t('scim.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {revoked.length > 0 ? <p className="muted small">{t('scim.revokedCount', { count: revoked.length })}</p> : null}
    </section>
  );
}

/** A read-only value with a copy button: the base URL, the token shown once. */
function CopyField({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="link-box">
        <input id={id} readOnly value={value} spellCheck={false} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button-secondary" onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? t('scim.copied') : t('scim.copy')}
        </button>
      </div>
    </div>
  );
}
