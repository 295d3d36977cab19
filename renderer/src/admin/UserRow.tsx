import type { ReactNode } from 'react';
import type { AccountUser, UserStatus } from '../../../preload/agentdesk-api';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';
import { liveLockouts, lockoutKindText, untilText } from './lockouts';
import { UserRowMenu, type RowAction } from './UserRowMenu';

export type Feedback = { tone: 'success' | 'error' | 'info'; text: ReactNode };
export type ConfirmedAction = 'reset' | 'delete' | 'deactivate';

const statusLabels: Record<UserStatus, string> = { invited: 'Invited', active: 'Active', deactivated: 'Deactivated' };
const methodLabels = { totp: 'Authenticator app', security_key: 'Security key' } as const;
const questions: Record<ConfirmedAction, string> = {
  reset: 'Remove all their methods and sign them out?',
  deactivate: 'Sign them out everywhere and refuse their sign-in?',
  delete: 'Delete this user for good?',
};
const confirmLabels: Record<ConfirmedAction, string> = { reset: 'Reset', delete: 'Delete', deactivate: 'Deactivate' };

/** One user in the list: name, role, status with any lock-outs, methods, last sign-in, actions; feedback in a row under it. */
export function UserRow(props: {
  user: AccountUser;
  isMe: boolean;
  actions: RowAction[];
  feedback: Feedback | undefined;
  confirming: ConfirmedAction | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { user } = props;
  const locks = liveLockouts(user);
  return (
    <>
      <tr>
        <td>
          <span className="cell-title">
            {user.name}
            {props.isMe ? <span className="muted small"> (you)</span> : null}
          </span>
          <span className="muted small block">{user.email}</span>
        </td>
        <td>{user.role === 'admin' ? 'Admin' : 'Agent'}</td>
        <td>
          {statusLabels[user.status]}
          {locks.length ? (
            <span className="lockouts block" data-testid="user-lockouts">
              <span className="badge badge-off">Locked</span>
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
            <span className="badge badge-on">{user.methodTypes.map((t) => methodLabels[t]).join(' · ')}</span>
          ) : (
            <span className="badge badge-off">Not set up</span>
          )}
        </td>
        <td className="small">{user.lastSignInAt ? formatDateTime(user.lastSignInAt) : 'Never'}</td>
        <td className="actions">
          {props.confirming ? (
            <span className="inline-form">
              <span className="small">{questions[props.confirming]}</span>
              <button type="button" className="button-danger" autoFocus onClick={props.onConfirm}>
                {confirmLabels[props.confirming]}
              </button>
              <button type="button" className="button-secondary" onClick={props.onCancel}>
                Cancel
              </button>
            </span>
          ) : (
            <UserRowMenu label={`Actions for ${user.name}`} items={props.actions} />
          )}
        </td>
      </tr>
      {props.feedback ? (
        <tr className="row-feedback">
          <td colSpan={6}>
            <Notice tone={props.feedback.tone}>{props.feedback.text}</Notice>
          </td>
        </tr>
      ) : null}
    </>
  );
}
