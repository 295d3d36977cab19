import { useT } from '../i18n/I18nProvider';
import type { MessageId } from '../i18n';
import { methodTypeLabel } from '../method-names';
import type { ReactNode } from 'react';
import type { AccountUser, UserStatus } from '../../../contract/answers';
import { Notice } from '../shared/Notice';
import { formatDateTime } from '../dates';
import { localeNames } from '../i18n/locales';
import { liveLockouts, lockoutKindText, untilText } from './lockouts';
import { UserRowMenu, type RowAction } from './UserRowMenu';
import { graceIsOpen, graceText } from '../enrolment/grace';

export type Feedback = { tone: 'success' | 'error' | 'info'; text: ReactNode };
export type ConfirmedAction = 'reset' | 'delete' | 'deactivate';

const statusLabels: Record<UserStatus, MessageId> = { invited: 'status.invited', active: 'status.active', deactivated: 'status.deactivated' };
const questions: Record<ConfirmedAction, MessageId> = {
  reset: 'userRow.q.reset',
  deactivate: 'userRow.q.deactivate',
  delete: 'userRow.q.delete',
};
const confirmLabels: Record<ConfirmedAction, MessageId> = { reset: 'userRow.c.reset', delete: 'userRow.c.delete', deactivate: 'userRow.c.deactivate' };

/** One user in the list: name, role, language (theirs, or their device's), status with any lock-outs, methods, last sign-in, actions; feedback in a row under it. */
export function UserRow(props: {
  user: AccountUser;
  isMe: boolean;
  actions: RowAction[];
  feedback: Feedback | undefined;
  confirming: ConfirmedAction | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const t = useT();
  const { user } = props;
  const locks = liveLockouts(user);
  return (
    <>
      <tr>
        <td>
          <span className="cell-title">
            {user.name}
            {props.isMe ? <span className="muted small">{t('userRow.you')}</span> : null}
          </span>
          <span className="muted small block">{user.email}</span>
        </td>
        <td>{user.role === 'admin' ? t('role.admin') : t('role.agent')}</td>
        <td className="small">
          {user.language ? (
            <span lang={user.language}>{localeNames[user.language]}</span>
          ) : (
            <span className="muted">{t('users.languageDevice')}</span>
          )}
        </td>
        <td>
          {t(statusLabels[user.status])}
          {locks.length ? (
            <span className="lockouts block" data-testid="user-lockouts">
              <span className="badge badge-off">{t('userRow.locked')}</span>
              <ul className="lockout-list small">
                {locks.map((lock, i) => (
                  <li key={`${lock.kind}-${lock.deviceId ?? lock.address ?? i}`}>
                    {lockoutKindText(lock.kind)}
                    {lock.address ? ` (${lock.address})` : ''} {untilText(lock.until)}
                  </li>
                ))}
              </ul>
            </span>
          ) : null}
        </td>
        <td>
          {user.methodTypes.length ? (
            <span className="badge badge-on">{user.methodTypes.map((type) => methodTypeLabel(type)).join(' · ')}</span>
          ) : (
            <span className="badge badge-off">{t('users.notSetUp')}</span>
          )}
          {user.grace ? (
            <span className="muted small block" data-testid="user-grace">
              {graceIsOpen(user.grace) ? t('users.inGrace', { grace: graceText(user.grace) }) : t('users.graceOver')}
            </span>
          ) : null}
        </td>
        <td className="small">
          {formatDateTime(user.lastSignInAt)}
          {user.lastSsoProvider ? <span className="block muted">{user.lastSsoProvider.trustMfa ? t('users.viaProviderTrusted', { name: user.lastSsoProvider.name }) : t('users.viaProvider', { name: user.lastSsoProvider.name })}</span> : null}
          {user.breakGlass ? <span className="block muted">{t('users.breakGlass')}</span> : null}
        </td>
        <td className="actions">
          {props.confirming ? (
            <span className="inline-form">
              <span className="small">{t(questions[props.confirming])}</span>
              <button type="button" className="button-danger" autoFocus onClick={props.onConfirm}>
                {t(confirmLabels[props.confirming])}
              </button>
              <button type="button" className="button-secondary" onClick={props.onCancel}>
                {t('common.cancel')}
              </button>
            </span>
          ) : (
            <UserRowMenu label={t('userRow.actionsFor', { name: user.name })} items={props.actions} />
          )}
        </td>
      </tr>
      {props.feedback ? (
        <tr className="row-feedback">
          <td colSpan={7}>
            <Notice tone={props.feedback.tone}>{props.feedback.text}</Notice>
          </td>
        </tr>
      ) : null}
    </>
  );
}
