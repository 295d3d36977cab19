// Admin → Security Settings: how long sessions live, which networks sign-in is allowed from and
// which security-key models are accepted (SecurityKeyModelsCard.tsx)
// (PRODUCT.md "Authentication policies"). Each card commits one way: its own Save, with what is
// not saved yet listed beside it (SaveBar), and a sensitive save asks for the second factor.
import { useEffect, useState } from 'react';
import type { NetworkPolicy, SessionPolicy } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation, useApiQuery } from '../data/operations';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';
import { useSensitiveSave } from '../shared/useSensitiveSave';
import { SaveBar } from './SaveBar';
import { GraceCard } from './GraceCard';
import { useSecuritySettings } from '../data/queries';
import { SecurityKeyModelsCard } from './SecurityKeyModelsCard';

export function AccountPolicyCards() {
  const sessionPolicy = useApiQuery('getSessionPolicy');
  const networkPolicy = useApiQuery('getNetworkPolicy');
  const settings = useSecuritySettings();
  const keyPolicy = useApiQuery('getSecurityKeyPolicy');
  return (
    <>
      {settings.data ? <GraceCard saved={settings.data} /> : null}
      {sessionPolicy.data ? <SessionLifetimesCard saved={sessionPolicy.data} /> : sessionPolicy.error ? <Notice tone="error">{describeError(sessionPolicy.error)}</Notice> : null}
      {networkPolicy.data ? <SignInNetworksCard saved={networkPolicy.data} /> : networkPolicy.error ? <Notice tone="error">{describeError(networkPolicy.error)}</Notice> : null}
      {keyPolicy.data ? <SecurityKeyModelsCard saved={keyPolicy.data} /> : keyPolicy.error ? <Notice tone="error">{describeError(keyPolicy.error)}</Notice> : null}
    </>
  );
}

function SessionLifetimesCard({ saved }: { saved: SessionPolicy }) {
  const t = useT();
  const save = useApiMutation('saveSessionPolicy');
  const [idle, setIdle] = useState(String(saved.idleMinutes));
  const [absolute, setAbsolute] = useState(String(saved.absoluteHours));
  const [remember, setRemember] = useState(String(saved.rememberDeviceDays));
  const { busy, result, error, run } = useSensitiveSave();
  // What the server has now, when nothing is being edited (after a save, or a change elsewhere).
  useEffect(() => {
    setIdle(String(saved.idleMinutes));
    setAbsolute(String(saved.absoluteHours));
    setRemember(String(saved.rememberDeviceDays));
  }, [saved.idleMinutes, saved.absoluteHours, saved.rememberDeviceDays]);

  const idleMinutes = Number(idle);
  const absoluteHours = Number(absolute);
  const idleValid = Number.isInteger(idleMinutes) && idleMinutes >= 15 && idleMinutes <= 720;
  const absoluteValid = Number.isInteger(absoluteHours) && absoluteHours >= 1 && absoluteHours <= 24;
  const rememberDeviceDays = Number(remember);
  const rememberValid = remember.trim() !== '' && Number.isInteger(rememberDeviceDays) && rememberDeviceDays >= 0 && rememberDeviceDays <= 30;
  const unsaved = [
    idleMinutes !== saved.idleMinutes ? t('sessionPolicy.unsavedIdle', { minutes: idle }) : '',
    absoluteHours !== saved.absoluteHours ? t('sessionPolicy.unsavedAbsolute', { hours: absolute }) : '',
    rememberDeviceDays !== saved.rememberDeviceDays ? t('sessionPolicy.unsavedRemember', { days: rememberDeviceDays }) : '',
  ].filter(Boolean);

  const commit = () =>
    run(
      () => save.mutateAsync({ body: { idleMinutes, absoluteHours, rememberDeviceDays } }),
      (done) => t('sessionPolicy.saved', { idle: done.idleMinutes, absolute: done.absoluteHours, ended: done.endedSessions }),
    );

  return (
    <section className="card" aria-labelledby="session-lifetimes-title">
      <div className="card-header">
        <h2 id="session-lifetimes-title">{t('sessionPolicy.title')}</h2>
      </div>
      <p className="muted small">{t('sessionPolicy.intro')}</p>
      <div className="field">
        <label htmlFor="session-idle">{t('sessionPolicy.idle')}</label>
        <input id="session-idle" type="number" inputMode="numeric" min={15} max={720} step={1} value={idle} aria-invalid={!idleValid} aria-describedby="session-idle-hint" onChange={(e) => setIdle(e.target.value)} />
        <p className="muted small" id="session-idle-hint">{t('sessionPolicy.idleHint')}</p>
      </div>
      <div className="field">
        <label htmlFor="session-absolute">{t('sessionPolicy.absolute')}</label>
        <input id="session-absolute" type="number" inputMode="numeric" min={1} max={24} step={1} value={absolute} aria-invalid={!absoluteValid} aria-describedby="session-absolute-hint" onChange={(e) => setAbsolute(e.target.value)} />
        <p className="muted small" id="session-absolute-hint">{t('sessionPolicy.absoluteHint')}</p>
      </div>
      <div className="field">
        <label htmlFor="session-remember">{t('sessionPolicy.remember')}</label>
        <input id="session-remember" type="number" inputMode="numeric" min={0} max={30} step={1} value={remember} aria-invalid={!rememberValid} aria-describedby="session-remember-hint" onChange={(e) => setRemember(e.target.value)} />
        <p className="muted small" id="session-remember-hint">{t('sessionPolicy.rememberHint')}</p>
      </div>
      <SaveBar
        unsaved={unsaved}
        canSave={unsaved.length > 0 && idleValid && absoluteValid && rememberValid}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() => {
          setIdle(String(saved.idleMinutes));
          setAbsolute(String(saved.absoluteHours));
          setRemember(String(saved.rememberDeviceDays));
        }}
      />
    </section>
  );
}

function SignInNetworksCard({ saved }: { saved: NetworkPolicy }) {
  const t = useT();
  const save = useApiMutation('saveNetworkPolicy');
  const savedText = saved.allowedNetworks.join('\n');
  const [text, setText] = useState(savedText);
  const { busy, result, error, run } = useSensitiveSave();
  useEffect(() => setText(savedText), [savedText]);

  const networks = text.split(/[\s,]+/).filter(Boolean);
  const changed = networks.join('\n') !== savedText;

  const commit = () =>
    run(
      () => save.mutateAsync({ body: { allowedNetworks: networks } }),
      (done) => (done.allowedNetworks.length ? t('networks.saved', { count: done.allowedNetworks.length }) : t('networks.savedNone')),
    );

  return (
    <section className="card" aria-labelledby="sign-in-networks-title">
      <div className="card-header">
        <h2 id="sign-in-networks-title">{t('networks.title')}</h2>
      </div>
      <p className="muted small">{t('networks.intro')}</p>
      <div className="field">
        <label htmlFor="sign-in-networks">{t('networks.label')}</label>
        <textarea id="sign-in-networks" rows={4} spellCheck={false} value={text} aria-describedby="sign-in-networks-hint" onChange={(e) => setText(e.target.value)} />
        <p className="muted small" id="sign-in-networks-hint">{t('networks.hint')}</p>
      </div>
      <SaveBar
        unsaved={changed ? [networks.length ? t('networks.unsaved', { count: networks.length }) : t('networks.unsavedNone')] : []}
        canSave={changed && networks.length <= 100}
        busy={busy}
        error={error}
        result={result}
        onSave={() => void commit()}
        onDiscard={() => setText(savedText)}
      />
    </section>
  );
}
