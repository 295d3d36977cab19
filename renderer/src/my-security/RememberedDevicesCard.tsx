// My security → Remembered devices: the devices where this user chose not to be asked the second
// step, until when, each with "Forget", and "Forget all". A forgotten device asks again at its
// next sign-in (it stays a device the user signed in on).
import { useState } from 'react';
import type { MyDevice } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation } from '../data/operations';
import { useMyDevices } from '../data/queries';
import { formatDateTime } from '../dates';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';

type Feedback = { tone: 'success' | 'error'; text: string };

export function RememberedDevicesCard() {
  const t = useT();
  const list = useMyDevices();
  const forget = useApiMutation('forgetMyDevice');
  const forgetEvery = useApiMutation('forgetMyDevices');
  const [busy, setBusy] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<Feedback | null>(null);
  const remembered: MyDevice[] | null = list.data ? list.data.devices.filter((d) => d.rememberedUntil !== null) : null;

  async function forgetOne(device: MyDevice) {
    setBusy(device.id);
    setFeedback(null);
    try {
      await forget.mutateAsync({ params: { id: device.id } });
      setFeedback({ tone: 'success', text: t('devices.forgotOne', { name: device.name }) });
    } catch (error) {
      setFeedback({ tone: 'error', text: describeError(error) });
    } finally {
      setBusy(null);
    }
  }

  async function forgetAll() {
    setBusy('all');
    setFeedback(null);
    try {
      await forgetEvery.mutateAsync();
      setFeedback({ tone: 'success', text: t('devices.forgotAll') });
    } catch (error) {
      setFeedback({ tone: 'error', text: describeError(error) });
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card" aria-labelledby="devices-title" data-testid="remembered-devices">
      <h2 id="devices-title">{t('devices.title')}</h2>
      <p className="muted">{t('devices.intro')}</p>
      {list.error ? <Notice tone="error">{describeError(list.error)}</Notice> : null}
      {remembered === null ? (
        list.error ? null : <p role="status">{t('devices.loading')}</p>
      ) : remembered.length === 0 ? (
        <p className="muted">{t('devices.none')}</p>
      ) : (
        <>
          <ul className="session-list">
            {remembered.map((device) => (
              <li key={device.id} className="session-row" aria-label={device.name}>
                <div className="session-main">
                  <p className="method-name">
                    {device.name} {device.current ? <span className="badge badge-on">{t('sessions.thisDevice')}</span> : null}
                  </p>
                  <p className="muted small">
                    <span className="detail">{t('devices.until', { time: formatDateTime(device.rememberedUntil) })}</span>
                  </p>
                </div>
                <button type="button" className="button-secondary" aria-label={t('devices.forgetLabel', { name: device.name })} disabled={busy !== null} onClick={() => void forgetOne(device)}>
                  {t('devices.forget')}
                </button>
              </li>
            ))}
          </ul>
          <div className="button-row">
            <button type="button" className="button-secondary" disabled={busy !== null} onClick={() => void forgetAll()}>
              {t('devices.forgetAll')}
            </button>
          </div>
        </>
      )}
      {feedback ? <Notice tone={feedback.tone}>{feedback.text}</Notice> : null}
    </section>
  );
}
