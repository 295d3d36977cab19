import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { AccountUser, Role } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { useConnectionGeneration } from '../api/connection';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';
import { useSession } from '../session-context';

/** Everyone in the account with their 2FA status, adding users, and resetting a user's 2FA. */
export function UsersPanel() {
  const { current, sensitive, refresh } = useSession();
  const [users, setUsers] = useState<AccountUser[] | null>(null);
  const [confirming, setConfirming] = useState<AccountUser | null>(null);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);

  const load = useCallback(() => {
    agentdesk.listUsers().then(setUsers, (e: unknown) => setMessage({ tone: 'error', text: describeError(e) }));
  }, []);
  // Loaded again each time the connection to the server comes back.
  const connectionGeneration = useConnectionGeneration();
  useEffect(load, [load, connectionGeneration]);

  async function reset(user: AccountUser) {
    setMessage(null);
    try {
      const done = await sensitive(() => agentdesk.resetUserTwoFactor(user.id));
      if (done) {
        setMessage({
          tone: 'success',
          text: `${user.name}’s two-factor authentication was reset: ${done.removedMethods} method(s) removed, ${done.revokedSessions} session(s) signed out.`,
        });
        if (user.id === current.user.id) void refresh();
      }
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    } finally {
      setConfirming(null);
      load();
    }
  }

  return (
    <>
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
        {users === null ? (
          <p role="status">Loading users…</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Two-factor</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.map((user) => (
                  <tr key={user.id}>
                    <td>
                      <span className="cell-title">{user.name}</span>
                      <span className="muted small block">{user.email}</span>
                    </td>
                    <td>{user.role === 'admin' ? 'Admin' : 'Agent'}</td>
                    <td>
                      {user.twoFactorEnabled ? (
                        <span className="badge badge-on">On · {user.methodCount} method{user.methodCount === 1 ? '' : 's'}</span>
                      ) : (
                        <span className="badge badge-off">Not set up</span>
                      )}
                    </td>
                    <td className="small">{formatDateTime(user.createdAt)}</td>
                    <td className="actions">
                      {confirming?.id === user.id ? (
                        <span className="inline-form">
                          <span className="small">Remove all methods and sign out?</span>
                          <button type="button" className="button-danger" autoFocus onClick={() => void reset(user)}>
                            Reset
                          </button>
                          <button type="button" className="button-secondary" onClick={() => setConfirming(null)}>
                            Cancel
                          </button>
                        </span>
                      ) : user.twoFactorEnabled ? (
                        <button type="button" className="button-secondary" aria-label={`Reset two-factor for ${user.name}`} onClick={() => setConfirming(user)}>
                          Reset 2FA
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <NewUserForm onCreated={load} />
    </>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => void }) {
  const empty = { name: '', email: '', password: '', role: 'agent' as Role };
  const [form, setForm] = useState(empty);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setMessage(null);
    try {
      const user = await agentdesk.createUser({ ...form, name: form.name.trim(), email: form.email.trim() });
      setMessage({ tone: 'success', text: `${user.name} can now sign in with ${user.email}.` });
      setForm(empty);
      onCreated();
    } catch (failure) {
      setMessage({ tone: 'error', text: describeError(failure) });
    }
  }

  return (
    <section className="card" aria-labelledby="new-user-title">
      <h2 id="new-user-title">Add a user</h2>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="new-user-name">Name</label>
          <input id="new-user-name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-email">Email</label>
          <input id="new-user-email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-password">Temporary password</label>
          <input
            id="new-user-password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
            value={form.password}
            onChange={(e) => setForm({ ...form, password: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
          </select>
        </div>
        <div className="form-grid-actions">
          <button type="submit">Add user</button>
        </div>
      </form>
      {message ? <Notice tone={message.tone}>{message.text}</Notice> : null}
    </section>
  );
}
