import { useState, type FormEvent } from 'react';
import { agentdesk } from '../api/bridge';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { useSession } from '../session-context';
import { NewPasswordFields } from './NewPasswordFields';
import { count } from '../plurals';

/** My security → Password: the current password, a recent second factor when I have a method, then the new one. */
export function ChangePasswordPanel() {
  const { sensitive, current } = useSession();
  const [currentPassword, setCurrentPassword] = useState('');
  const [password, setPassword] = useState('');
  const [valid, setValid] = useState(false);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!valid) return;
    setBusy(true);
    setMessage(null);
    try {
      const change = () => agentdesk.changePassword(currentPassword, password);
      const done = current.methods.length ? await sensitive(change) : await change();
      if (done) {
        setMessage({ tone: 'success', text: done.revokedSessions ? `Password changed. ${count(done.revokedSessions, { one: 'other session was', other: 'other sessions were' })} signed out.` : 'Password changed.' });
        setCurrentPassword('');
        setFormKey((k) => k + 1);
      }
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form className="stack" onSubmit={(e) => void submit(e)} key={formKey}>
        <input type="email" autoComplete="username" value={current.user.email} readOnly hidden />
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input id="current-password" type="password" autoComplete="current-password" required value={currentPassword} onChange={(e) => setCurrentPassword(e.target.value)} />
        </div>
        <NewPasswordFields idPrefix="change" onChange={(value, ok) => { setPassword(value); setValid(ok); }} />
        {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
        <div>
          <button type="submit" disabled={busy || !valid || !currentPassword}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
