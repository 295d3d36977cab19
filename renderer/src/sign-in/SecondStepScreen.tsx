import { useId, useState } from 'react';
import type { CurrentSession, RememberDeviceOffer, Session } from '../../../contract/answers';
import { AuthCard } from '../shared/AuthCard';
import { SecondFactorForm } from '../shared/SecondFactorForm';
import { useDeskSharing } from '../data/client-calls';
import { useApiMutation } from '../data/operations';
import { Msg, useT } from '../i18n/I18nProvider';

/**
 * The second step of sign-in: one of the user's methods, last used first, or a recovery code.
 * Where the account remembers personal devices (`current.rememberDevice`), a personal device may
 * tick "Don't ask again on this device for N days": the desktop asks once per desk whether it is
 * shared (never on a shared desk), the web console offers it only once the user says "This is my
 * own computer". The choice sits above the code, which submits itself when complete.
 */
export function SecondStepScreen({ current, onPassed, onSignOut }: { current: CurrentSession; onPassed: (session: Session) => void; onSignOut: () => void }) {
  const t = useT();
  const offer = current.rememberDevice;
  const [desk, answerDesk] = useDeskSharing();
  const [ownComputer, setOwnComputer] = useState(offer?.shared === false);
  const [remember, setRemember] = useState(false);
  const rememberDevice = useApiMutation('rememberDevice');
  /** The device may be remembered: personal on this desk (desktop), or said to be the user's own (browser). */
  const personal = offer !== undefined && offer.shared !== true && (desk === null ? ownComputer : desk?.shared === false);

  async function passed(session: Session) {
    if (personal && remember) {
      try {
        // The browser declares the device personal only now, when it is to be remembered.
        if (desk === null && offer?.shared !== false) await answerDesk(false);
        await rememberDevice.mutateAsync({ body: {} });
      } catch {
        // Signed in all the same: the device just asks again next time (My security lists it).
      }
    }
    onPassed(session);
  }

  return (
    // The code field (or the security-key button) takes focus: that is what the user does next.
    <AuthCard title={t('secondStep.title')} focusHeading={false}>
      <p className="muted">
        <Msg id="secondStep.signingInAs" values={{ email: current.user.email, account: current.account.name, strong: (chunks) => <strong>{chunks}</strong> }} />
      </p>
      {offer && offer.shared !== true && desk !== undefined ? (
        <RememberChoice
          offer={offer}
          desk={desk}
          onDesk={(shared) => void answerDesk(shared).catch(() => undefined)}
          ownComputer={ownComputer}
          onOwnComputer={setOwnComputer}
          personal={personal}
          remember={remember}
          onRemember={setRemember}
        />
      ) : null}
      <SecondFactorForm methods={current.methods} onPassed={(session) => void passed(session)} />
      <p className="auth-footer">
        <button type="button" className="button-link" onClick={onSignOut}>
          {t('secondStep.cancel')}
        </button>
      </p>
    </AuthCard>
  );
}

function RememberChoice(props: {
  offer: RememberDeviceOffer;
  desk: { shared: boolean | null } | null;
  onDesk: (shared: boolean) => void;
  ownComputer: boolean;
  onOwnComputer: (own: boolean) => void;
  personal: boolean;
  remember: boolean;
  onRemember: (remember: boolean) => void;
}) {
  const t = useT();
  const id = useId();
  // The desktop asks once per desk; a shared desk never offers remembering.
  if (props.desk !== null && props.desk.shared === null) {
    return (
      <fieldset className="remember-device" data-testid="desk-question">
        <legend>{t('secondStep.deskQuestion')}</legend>
        <p className="field-hint">{t('secondStep.deskQuestionHint')}</p>
        <div className="button-row">
          <button type="button" className="button-secondary" onClick={() => props.onDesk(true)}>
            {t('secondStep.deskShared')}
          </button>
          <button type="button" className="button-secondary" onClick={() => props.onDesk(false)}>
            {t('secondStep.deskPersonal')}
          </button>
        </div>
      </fieldset>
    );
  }
  if (props.desk !== null && props.desk.shared === true) return null;
  return (
    <div className="remember-device">
      {props.desk === null ? (
        <>
          <div className="checkbox">
            <input id={`${id}-own`} type="checkbox" checked={props.ownComputer} aria-describedby={`${id}-own-hint`} onChange={(e) => props.onOwnComputer(e.target.checked)} />
            <label htmlFor={`${id}-own`}>{t('secondStep.ownComputer')}</label>
          </div>
          <p id={`${id}-own-hint`} className="field-hint">
            {t('secondStep.ownComputerHint')}
          </p>
        </>
      ) : null}
      {props.personal ? (
        <>
          <div className="checkbox">
            <input id={`${id}-remember`} type="checkbox" checked={props.remember} aria-describedby={`${id}-remember-hint`} onChange={(e) => props.onRemember(e.target.checked)} />
            <label htmlFor={`${id}-remember`}>{t('secondStep.rememberDevice', { days: props.offer.days })}</label>
          </div>
          <p id={`${id}-remember-hint`} className="field-hint">
            {t('secondStep.rememberHint')}
          </p>
        </>
      ) : null}
    </div>
  );
}
