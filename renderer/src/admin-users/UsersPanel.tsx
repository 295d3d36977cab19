import { useState } from 'react';
import { fetchUsersCsv } from '../data/client-calls';
import { describeError } from '../api/error-messages';
import { Notice } from '../shared/Notice';
import { formatDateTime } from '../dates';
import { useT } from '../i18n/I18nProvider';
import { useSession } from '../session-context';
import { ImportUsersDialog } from './ImportUsersDialog';
import { InviteUserDialog } from './InviteUserDialog';
import { LinkToHandOver } from './LinkToHandOver';
import { UserRow, type Feedback } from './UserRow';
import { UsersFilters } from './UsersFilters';
import { PAGE_SIZE, useUsersQuery } from './useUsersQuery';
import { useUserActions } from './useUserActions';
import { downloadCsv } from '../shared/download';
import './people.css';

/** Everyone in the account, searched, filtered, sorted and paged on the server, with each row's actions in a menu. */
export function UsersPanel() {
  const t = useT();
  const { current } = useSession();
  const users = useUsersQuery();
  const [dialog, setDialog] = useState<'invite' | 'import' | null>(null);
  const [topFeedback, setTopFeedback] = useState<Feedback | null>(null);
  const actions = useUserActions(users.reload, setTopFeedback);

  const { query, page } = users;
  const offset = query.offset ?? 0;
  const total = page?.total ?? 0;
  const filtered = Boolean(query.q || query.role || query.status || query.twoFactor);

  function exportCsv() {
    const { q, role, status, twoFactor } = query;
    fetchUsersCsv({ q, role, status, twoFactor }).then(
      (csv) => downloadCsv(csv, `users-${new Date().toISOString().slice(0, 10)}.csv`),
      (e: unknown) => setTopFeedback({ tone: 'error', text: describeError(e) }),
    );
  }

  return (
    <section className="card" aria-labelledby="users-title">
      <div className="card-header">
        <h2 id="users-title">{t('users.title')}</h2>
        <div className="inline-form">
          <button type="button" onClick={() => setDialog('invite')}>
            {t('users.add')}
          </button>
          <button type="button" className="button-secondary" onClick={() => setDialog('import')}>
            {t('users.import')}
          </button>
          <button type="button" className="button-secondary" onClick={exportCsv}>
            {t('users.export')}
          </button>
        </div>
      </div>
      {topFeedback ? <Notice tone={topFeedback.tone}>{topFeedback.text}</Notice> : null}
      <UsersFilters query={query} search={users.search} onSearch={users.setSearch} onFilter={users.filter} />
      {users.error ? <Notice tone="error">{users.error}</Notice> : null}
      {page === null ? (
        <p role="status">{t('users.loading')}</p>
      ) : (
        <>
          <p className="users-count" role="status" aria-live="polite">
            {total === 0
              ? filtered
                ? t('users.noMatch')
                : t('users.none')
              : t('users.count', { count: total, filtered: filtered ? 'yes' : 'no', from: offset + 1, to: Math.min(offset + PAGE_SIZE, total) })}
          </p>
          <div className="table-wrap">
            <table aria-labelledby="users-title">
              <thead>
                <tr>
                  <th scope="col">{t('users.col.name')}</th>
                  <th scope="col">{t('users.col.role')}</th>
                  <th scope="col">{t('users.col.language')}</th>
                  <th scope="col">{t('users.col.status')}</th>
                  <th scope="col">{t('users.col.twoFactor')}</th>
                  <th scope="col">{t('users.col.lastSignIn')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('users.col.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.users.map((user) => (
                  <UserRow
                    key={user.id}
                    user={user}
                    isMe={user.id === current.user.id}
                    actions={actions.actionsFor(user)}
                    feedback={actions.feedbackFor(user.id)}
                    confirming={actions.confirmingFor(user.id)}
                    onConfirm={actions.confirm}
                    onCancel={actions.cancel}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {total > PAGE_SIZE ? (
            <nav className="users-pager" aria-label={t('users.pages')}>
              <span className="small">
                {t('users.page', { page: Math.floor(offset / PAGE_SIZE) + 1, pages: Math.ceil(total / PAGE_SIZE) })}
              </span>
              <span className="users-pager-buttons">
                <button type="button" className="button-secondary" disabled={offset === 0} onClick={() => users.goTo(offset - PAGE_SIZE)}>
                  {t('users.previous')}
                </button>
                <button type="button" className="button-secondary" disabled={offset + PAGE_SIZE >= total} onClick={() => users.goTo(offset + PAGE_SIZE)}>
                  {t('users.next')}
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
                t('users.invitedEmailed', { name: sent.user.name, email: sent.user.email })
              ) : (
                <LinkToHandOver
                  intro={t('users.invitedHandOver', { name: sent.user.name, until: formatDateTime(sent.invitation.expiresAt) })}
                  link={sent.invitation.link!}
                  label={t('users.invitationLinkFor', { name: sent.user.name })}
                />
              ),
            });
            users.reload();
          }}
        />
      ) : null}
      {dialog === 'import' ? (
        <ImportUsersDialog
          onClose={() => setDialog(null)}
          onImported={(imported, emailed) => {
            setDialog(null);
            setTopFeedback({ tone: 'success', text: t('users.imported', { count: imported, emailed: emailed ? 'yes' : 'no' }) });
            users.reload();
          }}
        />
      ) : null}
    </section>
  );
}
