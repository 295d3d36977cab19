// Admin → Single sign-on (PRODUCT.md "Enterprise sign-in"): the account's identity providers
// (list, add, change, remove an OpenID Connect provider, its client secret write-only, or a SAML
// 2.0 provider from its metadata XML, with what to give that IdP: our entity id and ACS), the
// link agents sign in with, a test of each provider (the checks a sign-in depends on, ✓/✗ with
// what the server saw), and SSO only with its break-glass admins. Every change is sensitive: it
// asks for the second factor first (useSession().sensitive); a test changes nothing and is not.
import { useEffect, useState, type FormEvent } from 'react';
import type { IdentityProvider, ProviderCheck, ProviderTest, SignInSettings } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation, useApiQuery } from '../data/operations';
import { useT } from '../i18n/I18nProvider';
import { fullTime } from '../rollout/when';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';
import { useSensitiveSave } from '../shared/useSensitiveSave';
import { SaveBar } from './SaveBar';

export function IdentityProvidersCards() {
  const providers = useApiQuery('listIdentityProviders');
  const settings = useApiQuery('getSignInSettings');
  return (
    <>
      {providers.data ? <IdentityProvidersCard providers={providers.data.providers} /> : providers.error ? <Notice tone="error">{describeError(providers.error)}</Notice> : null}
      {settings.data && providers.data ? (
        <SsoOnlyCard saved={settings.data} hasProvider={providers.data.providers.length > 0} />
      ) : settings.error ? (
        <Notice tone="error">{describeError(settings.error)}</Notice>
      ) : null}
    </>
  );
}

/** The web console's sign-in screen with the account filled in: what agents open to sign in through the provider. */
function signInLink(slug: string): string | null {
  const { protocol, origin } = window.location;
  return protocol === 'http:' || protocol === 'https:' ? `${origin}/#/sign-in?account=${encodeURIComponent(slug)}` : null;
}

function IdentityProvidersCard({ providers }: { providers: IdentityProvider[] }) {
  const t = useT();
  const { current, sensitive } = useSession();
  const remove = useApiMutation('removeIdentityProvider');
  const test = useApiMutation('testIdentityProvider');
  const [editing, setEditing] = useState<IdentityProvider | 'new' | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [tested, setTested] = useState<{ provider: IdentityProvider; result: ProviderTest } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const link = signInLink(current.account.slug);

  async function testProvider(provider: IdentityProvider) {
    setError(null);
    setTested(null);
    setTesting(provider.id);
    try {
      setTested({ provider, result: await test.mutateAsync({ params: { id: provider.id } }) });
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setTesting(null);
    }
  }

  async function removeProvider(provider: IdentityProvider) {
    if (!window.confirm(t('idp.removeConfirm', { name: provider.name }))) return;
    setError(null);
    try {
      await sensitive(() => remove.mutateAsync({ params: { id: provider.id } }));
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  return (
    <section className="card" aria-labelledby="identity-providers-title">
      <div className="card-header">
        <h2 id="identity-providers-title">{t('idp.providersTitle')}</h2>
      </div>
      <p className="muted small">{t('idp.providersIntro')}</p>
      {providers.length === 0 ? <p>{t('idp.noProviders')}</p> : (
        <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('idp.name')}</th>
              <th scope="col">{t('idp.type')}</th>
              <th scope="col">{t('idp.issuer')}</th>
              <th scope="col">{t('idp.trustMfa')}</th>
              <th scope="col">{t('idp.jit')}</th>
              <th scope="col"><span className="visually-hidden">{t('idp.actions')}</span></th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>{p.type === 'saml' ? t('idp.typeSaml') : t('idp.typeOidc')}</td>
                <td className="small">{p.issuer}</td>
                <td>{p.trustMfa ? t('common.on') : t('common.off')}</td>
                <td>{p.jitProvisioning ? t('common.on') : t('common.off')}</td>
                <td>
                  <button type="button" className="button-link" onClick={() => void testProvider(p)} disabled={testing !== null} aria-label={t('idp.testNamed', { name: p.name })}>{testing === p.id ? t('idp.testing') : t('idp.test')}</button>{' '}
                  <button type="button" className="button-link" onClick={() => setEditing(p)} aria-label={t('idp.editNamed', { name: p.name })}>{t('idp.edit')}</button>{' '}
                  <button type="button" className="button-link" onClick={() => void removeProvider(p)} aria-label={t('idp.removeNamed', { name: p.name })}>{t('idp.remove')}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
      {/* A result describes the provider as it was tested: it goes once the provider is changed or removed. */}
      {tested && providers.some((p) => p.id === tested.provider.id && p.updatedAt === tested.provider.updatedAt) ? <ProviderTestResult name={tested.provider.name} result={tested.result} onClose={() => setTested(null)} /> : null}
      {providers.filter((p) => p.serviceProvider).map((p) => (
        <div className="field" key={`sp-${p.id}`}>
          <p className="small">{t('idp.spFor', { name: p.name })}</p>
          <label htmlFor={`sp-entity-${p.id}`}>{t('idp.spEntityId')}</label>
          <input id={`sp-entity-${p.id}`} readOnly value={p.serviceProvider!.entityId} onFocus={(e) => e.target.select()} />
          <label htmlFor={`sp-acs-${p.id}`}>{t('idp.spAcs')}</label>
          <input id={`sp-acs-${p.id}`} readOnly value={p.serviceProvider!.acsUrl} aria-describedby={`sp-hint-${p.id}`} onFocus={(e) => e.target.select()} />
          <p className="muted small" id={`sp-hint-${p.id}`}>{t('idp.spHint')}</p>
        </div>
      ))}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {editing ? <ProviderForm provider={editing === 'new' ? null : editing} onDone={() => setEditing(null)} /> : (
        <button type="button" className="button-secondary" onClick={() => setEditing('new')}>{t('idp.add')}</button>
      )}
      {providers.length > 0 && link ? (
        <div className="field">
          <label htmlFor="sso-sign-in-link">{t('idp.link')}</label>
          <input id="sso-sign-in-link" readOnly value={link} aria-describedby="sso-sign-in-link-hint" onFocus={(e) => e.target.select()} />
          <p className="muted small" id="sso-sign-in-link-hint">{t('idp.linkHint')}</p>
        </div>
      ) : null}
    </section>
  );
}

/** A provider test's checks: ✓ passed, ! passed with a warning, ✗ failed, – not run; each with what the server saw. */
function ProviderTestResult({ name, result, onClose }: { name: string; result: ProviderTest; onClose: () => void }) {
  const t = useT();
  const failedCount = result.checks.filter((c) => c.ok === false).length;
  const mark = (c: ProviderCheck) => (c.ok === false ? '✗' : c.ok === null ? '–' : c.warning ? '!' : '✓');
  const status = (c: ProviderCheck) => (c.ok === false ? t('idp.checkFailed') : c.ok === null ? t('idp.checkNotRun') : c.warning ? t('idp.checkWarning') : t('idp.checkPassed'));
  return (
    <section className="provider-test" aria-labelledby="provider-test-title" data-testid="provider-test">
      <h3 id="provider-test-title">{t('idp.testTitle', { name })}</h3>
      <Notice tone={failedCount > 0 ? 'error' : result.checks.some((c) => c.warning) ? 'warning' : 'success'}>
        {failedCount > 0 ? t('idp.testFailed', { count: failedCount }) : t('idp.testPassed')}
      </Notice>
      <p className="muted small">{t('idp.testIntro')}</p>
      <ul className="provider-checks">
        {result.checks.map((c) => (
          <li key={c.check} className={`provider-check provider-check-${c.ok === false ? 'failed' : c.ok === null ? 'not-run' : c.warning ? 'warning' : 'passed'}`} data-check={c.check}>
            <span className="provider-check-mark" aria-hidden="true">{mark(c)}</span>
            <span className="visually-hidden">{status(c)}: </span>
            <strong>{t(`idp.check.${c.check}`)}</strong>
            {c.expiresAt ? <span> · {t('idp.certificateExpires', { date: fullTime(c.expiresAt) })}</span> : null}
            <br />
            <span className="muted small provider-check-detail">{c.detail}</span>
          </li>
        ))}
      </ul>
      <button type="button" className="button-secondary" onClick={onClose}>{t('idp.testClose')}</button>
    </section>
  );
}

/**
 * Adds (provider null) or changes a provider: OpenID Connect (issuer, client; the secret is never
 * shown, typed to set or replace it) or SAML 2.0 (the IdP's metadata XML, pasted; kept when left
 * empty on a change).
 */
function ProviderForm({ provider, onDone }: { provider: IdentityProvider | null; onDone: () => void }) {
  const t = useT();
  const { sensitive } = useSession();
  const add = useApiMutation('addIdentityProvider');
  const update = useApiMutation('updateIdentityProvider');
  const [type, setType] = useState<'oidc' | 'saml'>(provider?.type ?? 'oidc');
  const [metadataXml, setMetadataXml] = useState('');
  const [name, setName] = useState(provider?.name ?? '');
  const [issuer, setIssuer] = useState(provider?.issuer ?? '');
  const [clientId, setClientId] = useState(provider?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [trustMfa, setTrustMfa] = useState(provider?.trustMfa ?? false);
  const [acr, setAcr] = useState((provider?.mfaAcrValues ?? []).join('\n'));
  const [jit, setJit] = useState(provider?.jitProvisioning ?? false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mfaAcrValues = acr.split(/[\s,]+/).filter(Boolean);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const common = { name: name.trim(), trustMfa, mfaAcrValues, jitProvisioning: jit };
      const done = provider
        ? await sensitive(() =>
            update.mutateAsync({
              params: { id: provider.id },
              body:
                type === 'saml'
                  ? { ...common, ...(metadataXml.trim() ? { metadataXml: metadataXml.trim() } : {}) }
                  : { ...common, issuer: issuer.trim(), clientId: clientId.trim(), ...(clientSecret ? { clientSecret } : {}) },
            }),
          )
        : await sensitive(() =>
            add.mutateAsync({
              body: type === 'saml' ? { type, ...common, metadataXml: metadataXml.trim() } : { type, ...common, issuer: issuer.trim(), clientId: clientId.trim(), clientSecret },
            }),
          );
      if (done) onDone();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={(e) => void submit(e)} aria-labelledby="provider-form-title">
      <h3 id="provider-form-title">{provider ? t('idp.editTitle', { name: provider.name }) : t('idp.addTitle')}</h3>
      {provider ? null : (
        <fieldset className="field">
          <legend>{t('idp.type')}</legend>
          <label className="checkbox">
            <input type="radio" name="provider-type" value="oidc" checked={type === 'oidc'} onChange={() => setType('oidc')} /> {t('idp.typeOidc')}
          </label>
          <label className="checkbox">
            <input type="radio" name="provider-type" value="saml" checked={type === 'saml'} onChange={() => setType('saml')} /> {t('idp.typeSaml')}
          </label>
        </fieldset>
      )}
      <div className="field">
        <label htmlFor="provider-name">{t('idp.name')}</label>
        <input id="provider-name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      {type === 'saml' ? (
        <div className="field">
          <label htmlFor="provider-metadata">{t('idp.metadataXml')}</label>
          <textarea id="provider-metadata" rows={8} spellCheck={false} required={!provider} value={metadataXml} aria-describedby="provider-metadata-hint" onChange={(e) => setMetadataXml(e.target.value)} />
          <p className="muted small" id="provider-metadata-hint">{provider ? t('idp.metadataKeep') : t('idp.metadataHint')}</p>
        </div>
      ) : (
      <>
      <div className="field">
        <label htmlFor="provider-issuer">{t('idp.issuer')}</label>
        <input id="provider-issuer" type="url" required spellCheck={false} value={issuer} aria-describedby="provider-issuer-hint" onChange={(e) => setIssuer(e.target.value)} />
        <p className="muted small" id="provider-issuer-hint">{t('idp.issuerHint')}</p>
      </div>
      <div className="field">
        <label htmlFor="provider-client-id">{t('idp.clientId')}</label>
        <input id="provider-client-id" required spellCheck={false} value={clientId} onChange={(e) => setClientId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="provider-client-secret">{t('idp.clientSecret')}</label>
        <input id="provider-client-secret" type="password" autoComplete="off" required={!provider} value={clientSecret} aria-describedby="provider-client-secret-hint" onChange={(e) => setClientSecret(e.target.value)} />
        <p className="muted small" id="provider-client-secret-hint">{provider ? t('idp.clientSecretKeep') : t('idp.clientSecretHint')}</p>
      </div>
      </>
      )}
      <div className="checkbox">
        <input id="provider-trust-mfa" type="checkbox" checked={trustMfa} aria-describedby="provider-trust-mfa-hint" onChange={(e) => setTrustMfa(e.target.checked)} />
        <div>
          <label htmlFor="provider-trust-mfa">{t('idp.trustMfaLabel')}</label>
          <p className="muted small" id="provider-trust-mfa-hint">{t('idp.trustMfaHint')}</p>
        </div>
      </div>
      {trustMfa ? (
        <div className="field">
          <label htmlFor="provider-acr">{type === 'saml' ? t('idp.authnContextLabel') : t('idp.acrLabel')}</label>
          <textarea id="provider-acr" rows={2} spellCheck={false} value={acr} aria-describedby="provider-acr-hint" onChange={(e) => setAcr(e.target.value)} />
          <p className="muted small" id="provider-acr-hint">{t('idp.acrHint')}</p>
        </div>
      ) : null}
      <div className="checkbox">
        <input id="provider-jit" type="checkbox" checked={jit} aria-describedby="provider-jit-hint" onChange={(e) => setJit(e.target.checked)} />
        <div>
          <label htmlFor="provider-jit">{t('idp.jitLabel')}</label>
          <p className="muted small" id="provider-jit-hint">{t('idp.jitHint')}</p>
        </div>
      </div>
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="button-row">
        <button type="submit" disabled={busy}>{busy ? t('common.saving') : provider ? t('idp.saveProvider') : t('idp.addProvider')}</button>
        <button type="button" className="button-secondary" onClick={onDone} disabled={busy}>{t('common.cancel')}</button>
      </div>
    </form>
  );
}

/** SSO only, with the admins who keep password + second factor (each must have a method). */
function SsoOnlyCard({ saved, hasProvider }: { saved: SignInSettings; hasProvider: boolean }) {
  const t = useT();
  const save = useApiMutation('saveSignInSettings');
  const admins = useApiQuery('listUsers', { query: { role: 'admin', status: 'active', sort: 'name', limit: '100' } });
  const savedIds = [...saved.breakGlassUserIds].sort().join(',');
  const [ssoOnly, setSsoOnly] = useState(saved.ssoOnly);
  const [chosen, setChosen] = useState<string[]>(saved.breakGlassUserIds);
  const { busy, result, error, run } = useSensitiveSave();
  useEffect(() => {
    setSsoOnly(saved.ssoOnly);
    setChosen(saved.breakGlassUserIds);
  }, [saved.ssoOnly, savedIds]); // eslint-disable-line react-hooks/exhaustive-deps

  const changedIds = [...chosen].sort().join(',') !== savedIds;
  const unsaved = [
    ssoOnly !== saved.ssoOnly ? (ssoOnly ? t('ssoOnly.unsavedOn') : t('ssoOnly.unsavedOff')) : '',
    changedIds ? t('ssoOnly.unsavedAdmins', { count: chosen.length }) : '',
  ].filter(Boolean);

  const commit = () =>
    run(
      () => save.mutateAsync({ body: { ssoOnly, breakGlassUserIds: chosen } }),
      (done) => (done.ssoOnly ? t('ssoOnly.savedOn', { count: done.breakGlassUserIds.length }) : t('ssoOnly.savedOff')),
    );

  return (
    <section className="card" aria-labelledby="sso-only-title">
      <div className="card-header">
        <h2 id="sso-only-title">{t('ssoOnly.title')}</h2>
      </div>
      <div className="switch-row">
        <div>
          <p className="switch-label" id="sso-only-label">{t('ssoOnly.label')}</p>
          <p className="muted small" id="sso-only-hint">{t('ssoOnly.hint')}</p>
        </div>
        <button type="button" role="switch" className="switch" aria-checked={ssoOnly} aria-labelledby="sso-only-label" aria-describedby="sso-only-hint" disabled={!hasProvider && !ssoOnly} onClick={() => setSsoOnly(!ssoOnly)}>
          <span className="switch-track" aria-hidden="true">
            <span className="switch-thumb" />
          </span>
          <span className="switch-text" aria-hidden="true">{ssoOnly ? t('common.on') : t('common.off')}</span>
        </button>
      </div>
      {!hasProvider ? <p className="muted small">{t('ssoOnly.needsProvider')}</p> : null}
      <fieldset className="stack" style={{ border: 0, padding: 0, margin: 0 }}>
        <legend>{t('ssoOnly.breakGlass')}</legend>
        <p className="muted small">{t('ssoOnly.breakGlassHint')}</p>
        {admins.data?.users.map((admin) => (
          <div className="checkbox" key={admin.id}>
            <input
              id={`break-glass-${admin.id}`}
              type="checkbox"
              checked={chosen.includes(admin.id)}
              disabled={!admin.twoFactorEnabled && !chosen.includes(admin.id)}
              onChange={(e) => setChosen(e.target.checked ? [...chosen, admin.id] : chosen.filter((id) => id !== admin.id))}
            />
            <div>
              <label htmlFor={`break-glass-${admin.id}`}>{admin.name} <span className="muted">{admin.email}</span></label>
              {!admin.twoFactorEnabled ? <p className="muted small">{t('ssoOnly.noMethod')}</p> : null}
            </div>
          </div>
        ))}
      </fieldset>
      <SaveBar
        unsaved={unsaved}
        canSave={unsaved.length > 0 && (!ssoOnly || chosen.length > 0)}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() => {
          setSsoOnly(saved.ssoOnly);
          setChosen(saved.breakGlassUserIds);
        }}
      />
    </section>
  );
}
