// Admin → Security Settings → Policies: the security-key models the account accepts (PRODUCT.md
// "Authentication policies"). The admin chooses what a key's attestation is checked against (the
// FIDO Metadata Service BLOB, or their own roots) and which models; a Preview says how many keys
// already registered fall outside and how many users that signs out, and a save that signs
// anyone out needs "I understand", as requiring 2FA does.
import { useEffect, useState } from 'react';
import type { SecurityKeyPolicy, SecurityKeyPolicySaved } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation } from '../data/operations';
import type { MessageId } from '../i18n';
import { useT } from '../i18n/I18nProvider';
import { useSession } from '../session-context';
import { SaveBar } from './SaveBar';

type Source = SecurityKeyPolicy['metadata'];

const sources: { value: Source; label: MessageId }[] = [
  { value: 'none', label: 'keyModels.source.none' },
  { value: 'fido_mds', label: 'keyModels.source.fido_mds' },
  { value: 'own_roots', label: 'keyModels.source.own_roots' },
];

/** The PEM blocks pasted into the roots field, each whole. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export function SecurityKeyModelsCard({ saved }: { saved: SecurityKeyPolicy }) {
  const t = useT();
  const { sensitive } = useSession();
  const preview = useApiMutation('previewSecurityKeyPolicy');
  const save = useApiMutation('saveSecurityKeyPolicy');
  const savedModels = saved.allowedAaguids.join('\n');
  const savedRoots = saved.trustedRoots.join('\n');
  const [source, setSource] = useState<Source>(saved.metadata);
  const [models, setModels] = useState(savedModels);
  const [roots, setRoots] = useState(savedRoots);
  const [blob, setBlob] = useState<{ name: string; text: string } | null>(null);
  const [impact, setImpact] = useState<SecurityKeyPolicySaved | null>(null);
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setSource(saved.metadata);
    setModels(savedModels);
    setRoots(savedRoots);
  }, [saved.metadata, savedModels, savedRoots]);

  const aaguids = models.split(/[\s,]+/).filter(Boolean).map((a) => a.toLowerCase());
  const pems = pemBlocks(roots);
  const changed = source !== saved.metadata || aaguids.join('\n') !== savedModels || (source === 'own_roots' && pems.join('\n') !== savedRoots) || blob !== null;
  const body = {
    allowedAaguids: source === 'none' ? [] : aaguids,
    metadata: source,
    ...(source === 'fido_mds' && blob ? { metadataBlob: blob.text } : {}),
    ...(source === 'own_roots' ? { trustedRoots: pems } : {}),
  };
  const signsOut = (impact?.signedOutUsers ?? 0) > 0;
  // What the preview said holds for what is typed now only: any edit asks for a new one.
  const unsaved = changed
    ? [
        source === 'none' ? t('keyModels.unsavedNone') : t('keyModels.unsavedRule', { count: aaguids.length }),
        ...(blob ? [t('keyModels.unsavedBlob', { name: blob.name })] : []),
      ]
    : [];

  function edit(change: () => void) {
    change();
    setImpact(null);
    setUnderstood(false);
    setResult(null);
    setError(null);
  }

  async function runPreview() {
    setBusy(true);
    setError(null);
    try {
      setImpact(await preview.mutateAsync({ body }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function commit() {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const done = await sensitive(() => save.mutateAsync({ body: { ...body, ...(signsOut ? { acknowledged: understood } : {}) } }));
      if (!done) return;
      setResult(
        done.metadata === 'none'
          ? t('keyModels.savedNone')
          : `${t('keyModels.saved')} ${t('keyModels.impactDone', { keys: done.keysOutsideRule, users: done.signedOutUsers })}`,
      );
      setBlob(null);
      setImpact(null);
      setUnderstood(false);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="key-models-title">
      <div className="card-header">
        <h2 id="key-models-title">{t('keyModels.title')}</h2>
      </div>
      <p className="muted small">{t('keyModels.intro')}</p>
      <fieldset className="setting-group">
        <legend>{t('keyModels.source')}</legend>
        {sources.map(({ value, label }) => (
          <div className="radio" key={value}>
            <input type="radio" id={`key-models-source-${value}`} name="key-models-source" value={value} checked={source === value} onChange={() => edit(() => setSource(value))} />
            <label htmlFor={`key-models-source-${value}`}>{t(label)}</label>
          </div>
        ))}
      </fieldset>
      {source === 'fido_mds' ? (
        <div className="field">
          <label htmlFor="key-models-blob">{t('keyModels.blob')}</label>
          <input
            id="key-models-blob"
            type="file"
            accept=".jwt,.txt,application/jwt,text/plain"
            aria-describedby="key-models-blob-hint"
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void file.text().then((text) => edit(() => setBlob({ name: file.name, text: text.trim() })));
            }}
          />
          <p className="muted small" id="key-models-blob-hint">
            {saved.metadataBlob
              ? t('keyModels.blobInUse', { no: saved.metadataBlob.no, models: saved.metadataBlob.models, nextUpdate: saved.metadataBlob.nextUpdate })
              : t('keyModels.blobHint')}
          </p>
        </div>
      ) : null}
      {source === 'own_roots' ? (
        <div className="field">
          <label htmlFor="key-models-roots">{t('keyModels.roots')}</label>
          <textarea id="key-models-roots" rows={5} spellCheck={false} value={roots} aria-describedby="key-models-roots-hint" onChange={(e) => edit(() => setRoots(e.target.value))} />
          <p className="muted small" id="key-models-roots-hint">{t('keyModels.rootsHint', { count: pems.length })}</p>
        </div>
      ) : null}
      {source !== 'none' ? (
        <div className="field">
          <label htmlFor="key-models-aaguids">{t('keyModels.models')}</label>
          <textarea id="key-models-aaguids" rows={4} spellCheck={false} value={models} aria-describedby="key-models-aaguids-hint" onChange={(e) => edit(() => setModels(e.target.value))} />
          <p className="muted small" id="key-models-aaguids-hint">{t('keyModels.modelsHint')}</p>
          {saved.modelNames && Object.keys(saved.modelNames).length ? (
            <ul className="small" data-testid="key-model-names">
              {saved.allowedAaguids.map((aaguid) => (
                <li key={aaguid}>
                  <code>{aaguid}</code> {saved.modelNames?.[aaguid] ?? ''}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <p className="muted small">{t('keyModels.pinElsewhere')}</p>
      <p>
        <button type="button" className="button-secondary" disabled={!changed || busy} onClick={() => void runPreview()}>
          {t('keyModels.preview')}
        </button>
      </p>
      {impact ? (
        <p role="status" data-testid="key-models-impact">
          {t('keyModels.impact', { keys: impact.keysOutsideRule, users: impact.signedOutUsers })}
        </p>
      ) : null}
      {impact && signsOut ? (
        <div className="checkbox">
          <input id="key-models-understood" type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.target.checked)} />
          <label htmlFor="key-models-understood">{t('settings.understand')}</label>
        </div>
      ) : null}
      <SaveBar
        unsaved={unsaved}
        canSave={changed && impact !== null && (!signsOut || understood) && (source !== 'own_roots' || pems.length > 0)}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() =>
          edit(() => {
            setSource(saved.metadata);
            setModels(savedModels);
            setRoots(savedRoots);
            setBlob(null);
          })
        }
      />
    </section>
  );
}
