import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { EnrollmentCodeShown } from '../rollout/EnrollmentCodeShown';
import type { AccountUser, InvitationSent, LinkSent, Role, UserListQuery, UserPage, UserStatus } from '../../../preload/agentdesk-api';
import { agentdesk } from '../api/bridge';
import { useConnectionGeneration } from '../api/connection';
import { describeError } from '../api/error-messages';
import { Notice } from '../components/Notice';
import { formatDateTime } from '../dates';
import { useSession } from '../session-context';
import { ImportUsersDialog } from './ImportUsersDialog';
import { downloadCsv } from './download';
import './people.css';

const PAGE_SIZE = 50;

type Feedback = { tone: 'success' | 'error' | 'info'; text: ReactNode };

const statusLabels: Record<UserStatus, string> = { invited: 'Invited', active: 'Active', deactivated: 'Deactivated' };
const methodLabels = { totp: 'Authenticator app', security_key: 'Security key' } as const;

/** Everyone in the account, searched, filtered, sorted and paged on the server, with each row's actions in a menu. */
export function UsersPanel() {
  const { current, sensitive, refresh } = useSession();
  const [query, setQuery] = useState<UserListQuery>({ sort: 'name', offset: 0 });
  const [search, setSearch] = useState('');
  const [page, setPage] = useState<UserPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [feedback, setFeedback] = useState<Record<string, Feedback>>({});
  const [confirming, setConfirming] = useState<{ user: AccountUser; action: 'reset' | 'delete' | 'deactivate' } | null>(null);
  const [dialog, setDialog] = useState<'invite' | 'import' | null>(null);
  const [topFeedback, setTopFeedback] = useState<Feedback | null>(null);

  const load = useCallback(() => {
    agentdesk.listUsers({ ...query, limit: PAGE_SIZE }).then(
      (answer) => {
        setPage(answer);
        setError(null);
      },
      (e: unknown) => setError(describeError(e)),
    );
  }, [query]);
  // Loaded again each time the connection to the server comes back.
  const connectionGeneration = useConnectionGeneration();
  useEffect(load, [load, connectionGeneration]);

  // The search is sent a moment after typing stops, from the first page.
  useEffect(() => {
    const timer = setTimeout(() => setQuery((q) => (q.q ?? '') === search.trim() ? q : { ...q, q: search.trim() || undefined, offset: 0 }), 250);
    return () => clearTimeout(timer);
  }, [search]);

  function filter<K extends keyof UserListQuery>(key: K, value: UserListQuery[K] | '') {
    setQuery((q) => ({ ...q, [key]: value === '' ? undefined : value, offset: 0 }));
  }

  function say(userId: string, value: Feedback | null) {
    setFeedback((f) => {
      const next = { ...f };
      if (value) next[userId] = value;
      else delete next[userId];
      return next;
    });
  }

  async function act(user: AccountUser, run: () => Promise<ReactNode | undefined>, options: { sensitive?: boolean } = {}) {
    say(user.id, null);
    try {
      const text = options.sensitive ? await sensitive(run) : await run();
      if (text !== undefined) say(user.id, { tone: 'success', text });
    } catch (failure) {
      say(user.id, { tone: 'error', text: describeError(failure) });
    } finally {
      setConfirming(null);
      load();
    }
  }

  function linkFeedback(user: AccountUser, sent: LinkSent, what: string): ReactNode {
    if (sent.emailed) return `${what} emailed to ${user.email}. It works once, until ${formatDateTime(sent.expiresAt)}.`;
    return <LinkToHandOver intro={`Mail is not set up on this server: give ${user.name} this ${what.toLowerCase()} yourself (it works once, until ${formatDateTime(sent.expiresAt)}).`} link={sent.link!} label={`${what} for ${user.name}`} />;
  }

  const actions = (user: AccountUser): { label: string; run: () => void; danger?: boolean }[] => {
    const list: { label: string; run: () => void; danger?: boolean }[] = [];
    if (user.status === 'invited') {
      list.push({ label: 'Resend invitation', run: () => void act(user, async () => linkFeedback(user, (await agentdesk.resendInvitation(user.id)).invitation, 'Invitation link')) });
    }
    if (user.status === 'active') {
      list.push({ label: 'Send password reset link', run: () => void act(user, async () => linkFeedback(user, await agentdesk.sendPasswordReset(user.id), 'Password reset link')) });
    }
    if (user.lockedUntil) {
      list.push({ label: 'Lift lock-out', run: () => void act(user, async () => { await agentdesk.liftLockout(user.id); return `${user.name} can sign in again from any device.`; }, { sensitive: true }) });
    }
    if (user.status !== 'invited' && user.id !== current.user.id) {
      list.push({
        label: 'Sign out everywhere',
        run: () => void act(user, async () => {
          const done = await agentdesk.signUserOutEverywhere(user.id);
          return done.revokedSessions === 0 ? `${user.name} had no session open.` : `${user.name} was signed out of ${done.revokedSessions} session(s), on every device.`;
        }, { sensitive: true }),
      });
    }
    if (user.twoFactorEnabled) list.push({ label: 'Reset two-factor', run: () => setConfirming({ user, action: 'reset' }), danger: true });
    if (!user.twoFactorEnabled && user.status === 'active') {
      list.push({ label: 'Issue enrolment code', run: () => void act(user, async () => <EnrollmentCodeShown name={user.name} issued={await agentdesk.issueEnrollmentCode(user.id)} />, { sensitive: true }) });
    }
    const otherRole: Role = user.role === 'admin' ? 'agent' : 'admin';
    list.push({
      label: otherRole === 'admin' ? 'Make admin' : 'Make agent',
      run: () => void act(user, async () => {
        const done = await agentdesk.updateUser(user.id, { role: otherRole });
        if (user.id === current.user.id) void refresh();
        return `${user.name} is now ${done.user.role === 'admin' ? 'an admin' : 'an agent'}.`;
      }, { sensitive: true }),
    });
    if (user.status === 'deactivated') {
      list.push({ label: 'Reactivate', run: () => void act(user, async () => { const done = await agentdesk.updateUser(user.id, { status: 'active' }); return done.user.status === 'invited' ? `${user.name} is reactivated; resend the invitation so they can choose a password.` : `${user.name} can sign in again.`; }) });
    } else {
      list.push({ label: 'Deactivate', run: () => setConfirming({ user, action: 'deactivate' }), danger: true });
    }
    list.push({ label: 'Delete', run: () => setConfirming({ user, action: 'delete' }), danger: true });
    return list;
  };

  async function confirm() {
    if (!confirming) return;
    const { user, action } = confirming;
    if (action === 'reset') {
      await act(user, async () => {
        const done = await agentdesk.resetUserTwoFactor(user.id);
        if (user.id === current.user.id) void refresh();
        return `Two-factor authentication reset: ${done.removedMethods} method(s) removed, ${done.revokedSessions} session(s) signed out.`;
      }, { sensitive: true });
    } else if (action === 'deactivate') {
      await act(user, async () => `${user.name} is deactivated and was signed out of ${(await agentdesk.updateUser(user.id, { status: 'deactivated' })).revokedSessions} session(s).`, { sensitive: true });
    } else {
      say(user.id, null);
      try {
        const done = await sensitive(() => agentdesk.deleteUser(user.id));
        if (done) setTopFeedback({ tone: 'success', text: `${user.name} (${user.email}) was deleted; ${done.revokedSessions} session(s) signed out. The audit log keeps their name.` });
      } catch (failure) {
        say(user.id, { tone: 'error', text: describeError(failure) });
      } finally {
        setConfirming(null);
        load();
      }
    }
  }

  const offset = query.offset ?? 0;
  const total = page?.total ?? 0;
  const filtered = Boolean(query.q || query.role || query.status || query.twoFactor);

  return (
    <section className="card" aria-labelledby="users-title">
      <div className="card-header">
        <h2 id="users-title">Users</h2>
        <div className="inline-form">
          <button type="button" onClick={() => setDialog('invite')}>Add a user</button>
          <button type="button" className="button-secondary" onClick={() => setDialog('import')}>Import from CSV</button>
          <button
            type="button"
            className="button-secondary"
            onClick={() => {
              const { q, role, status, twoFactor } = query;
              agentdesk.exportUsers({ q, role, status, twoFactor }).then(
                (csv) => downloadCsv(csv, `users-${new Date().toISOString().slice(0, 10)}.csv`),
                (e: unknown) => setTopFeedback({ tone: 'error', text: describeError(e) }),
              );
            }}
          >
            Export CSV
          </button>
        </div>
      </div>
      {topFeedback ? <Notice tone={topFeedback.tone}>{topFeedback.text}</Notice> : null}
      <form className="users-toolbar" role="search" aria-label="Find users" onSubmit={(e) => e.preventDefault()}>
        <div className="field field-search">
          <label htmlFor="users-search">Search</label>
          <input id="users-search" type="search" placeholder="Name or email" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="users-two-factor">Two-factor</label>
          <select id="users-two-factor" value={query.twoFactor ?? ''} onChange={(e) => filter('twoFactor', e.target.value as UserListQuery['twoFactor'] | '')}>
            <option value="">Any</option>
            <option value="none">Not set up</option>
            <option value="totp">Authenticator app</option>
            <option value="security_key">Security key</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="users-role">Role</label>
          <select id="users-role" value={query.role ?? ''} onChange={(e) => filter('role', e.target.value as Role | '')}>
            <option value="">Any</option>
            <option value="admin">Admin</option>
            <option value="agent">Agent</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="users-status">Status</label>
          <select id="users-status" value={query.status ?? ''} onChange={(e) => filter('status', e.target.value as UserStatus | '')}>
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="invited">Invited</option>
            <option value="deactivated">Deactivated</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="users-sort">Sort by</label>
          <select id="users-sort" value={query.sort ?? 'name'} onChange={(e) => filter('sort', e.target.value)}>
            <option value="name">Name</option>
            <option value="email">Email</option>
            <option value="-lastSignIn">Last sign-in (newest first)</option>
            <option value="lastSignIn">Last sign-in (oldest first)</option>
            <option value="-created">Added (newest first)</option>
          </select>
        </div>
      </form>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {page === null ? (
        <p role="status">Loading users…</p>
      ) : (
        <>
          <p className="users-count" role="status" aria-live="polite">
            {total === 0 ? (filtered ? 'No user matches.' : 'No users yet.') : `${total.toLocaleString('en')} ${total === 1 ? 'user' : 'users'}${filtered ? ' match' : ''} · showing ${(offset + 1).toLocaleString('en')}–${Math.min(offset + PAGE_SIZE, total).toLocaleString('en')}`}
          </p>
          <div className="table-wrap">
            <table aria-labelledby="users-title">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Two-factor</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.users.map((user) => (
                  <UserRows
                    key={user.id}
                    user={user}
                    isMe={user.id === current.user.id}
                    actions={actions(user)}
                    feedback={feedback[user.id]}
                    onDismiss={() => say(user.id, null)}
                    confirming={confirming?.user.id === user.id ? confirming.action : null}
                    onConfirm={() => void confirm()}
                    onCancel={() => setConfirming(null)}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {total > PAGE_SIZE ? (
            <nav className="users-pager" aria-label="Pages of users">
              <span className="small">
                Page {Math.floor(offset / PAGE_SIZE) + 1} of {Math.ceil(total / PAGE_SIZE)}
              </span>
              <span className="users-pager-buttons">
                <button type="button" className="button-secondary" disabled={offset === 0} onClick={() => setQuery((q) => ({ ...q, offset: Math.max(0, offset - PAGE_SIZE) }))}>
                  Previous page
                </button>
                <button type="button" className="button-secondary" disabled={offset + PAGE_SIZE >= total} onClick={() => setQuery((q) => ({ ...q, offset: offset + PAGE_SIZE }))}>
                  Next page
                </button>
              </span>
            </nav>
          ) : null}
        </>
      )}
      {dialog === 'invite' ? (
        <InviteUserDialog
          onClose={() => setDialog(null)}
          onInvited={(sent) => {
            setDialog(null);
            setTopFeedback({
              tone: 'success',
              text: sent.invitation.emailed ? (
                `${sent.user.name} is invited: the link was emailed to ${sent.user.email}.`
              ) : (
                <LinkToHandOver intro={`${sent.user.name} is invited. Mail is not set up on this server: give them this link yourself (it works once, until ${formatDateTime(sent.invitation.expiresAt)}).`} link={sent.invitation.link!} label={`Invitation link for ${sent.user.name}`} />
              ),
            });
            load();
          }}
        />
      ) : null}
      {dialog === 'import' ? (
        <ImportUsersDialog
          onClose={() => setDialog(null)}
          onImported={(count, emailed) => {
            setDialog(null);
            setTopFeedback({ tone: 'success', text: `${count.toLocaleString('en')} users invited${emailed ? '; their links were emailed' : '; their links are in the file you downloaded'}.` });
            load();
          }}
        />
      ) : null}
    </section>
  );
}

function UserRows(props: {
  user: AccountUser;
  isMe: boolean;
  actions: { label: string; run: () => void; danger?: boolean }[];
  feedback: Feedback | undefined;
  onDismiss: () => void;
  confirming: 'reset' | 'delete' | 'deactivate' | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { user } = props;
  const questions = {
    reset: 'Remove all their methods and sign them out?',
    deactivate: 'Sign them out everywhere and refuse their sign-in?',
    delete: 'Delete this user for good?',
  } as const;
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
          {user.lockedUntil ? <span className="badge badge-off block">Locked until {formatDateTime(user.lockedUntil)}</span> : null}
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
                {props.confirming === 'reset' ? 'Reset' : props.confirming === 'delete' ? 'Delete' : 'Deactivate'}
              </button>
              <button type="button" className="button-secondary" onClick={props.onCancel}>
                Cancel
              </button>
            </span>
          ) : (
            <RowMenu label={`Actions for ${user.name}`} items={props.actions} />
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

/** A menu button (WAI-ARIA menu button pattern): Enter/Space/↓ open it, arrows move, Escape closes. */
function RowMenu({ label, items }: { label: string; items: { label: string; run: () => void; danger?: boolean }[] }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const id = useId();
  useEffect(() => {
    if (open) list.current?.querySelector('button')?.focus();
  }, [open]);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!list.current?.contains(event.target as Node) && event.target !== button.current) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);

  function onMenuKey(event: KeyboardEvent<HTMLUListElement>) {
    const buttons = [...(list.current?.querySelectorAll('button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const move = (to: number) => {
      event.preventDefault();
      buttons[(to + buttons.length) % buttons.length]?.focus();
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(buttons.length - 1);
    else if (event.key === 'Escape' || event.key === 'Tab') {
      if (event.key === 'Escape') event.preventDefault();
      setOpen(false);
      button.current?.focus();
    }
  }

  return (
    <span className="row-menu">
      <button
        ref={button}
        type="button"
        className="button-secondary"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={label}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        Actions ▾
      </button>
      {open ? (
        <ul ref={list} id={id} role="menu" aria-label={label} className="row-menu-list" onKeyDown={onMenuKey}>
          {items.map((item) => (
            <li key={item.label} role="none">
              <button
                type="button"
                role="menuitem"
                tabIndex={-1}
                className={item.danger ? 'danger' : undefined}
                onClick={() => {
                  setOpen(false);
                  button.current?.focus();
                  item.run();
                }}
              >
                {item.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </span>
  );
}

/** A link the admin hands over when the server cannot email it: shown in a field with a copy button. */
export function LinkToHandOver({ intro, link, label }: { intro: string; link: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div>
      <p>{intro}</p>
      <div className="link-box">
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <input id={id} readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            void navigator.clipboard?.writeText(link).then(() => setCopied(true), () => setCopied(false));
          }}
        >
          {copied ? 'Copied' : 'Copy link'}
        </button>
      </div>
    </div>
  );
}

function InviteUserDialog({ onClose, onInvited }: { onClose: () => void; onInvited: (sent: InvitationSent) => void }) {
  const { sensitive } = useSession();
  const dialog = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState({ name: '', email: '', role: 'agent' as Role });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const input = { name: form.name.trim(), email: form.email.trim(), role: form.role };
      // Creating an admin is a sensitive change: a fresh second factor first.
      const sent = form.role === 'admin' ? await sensitive(() => agentdesk.inviteUser(input)) : await agentdesk.inviteUser(input);
      if (sent) onInvited(sent);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="invite-title" onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <h2 id="invite-title">Add a user</h2>
      <p className="muted small">They get a one-time link to choose their own password. Nobody else ever knows it.</p>
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor="new-user-name">Name</label>
          <input id="new-user-name" required maxLength={120} autoFocus value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-email">Email</label>
          <input id="new-user-email" type="email" required maxLength={254} value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select id="new-user-role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
          </select>
        </div>
        {error ? <Notice tone="error">{error}</Notice> : null}
        <div className="dialog-actions inline-form">
          <button type="button" className="button-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={busy}>
            Send invitation
          </button>
        </div>
      </form>
    </dialog>
  );
}
