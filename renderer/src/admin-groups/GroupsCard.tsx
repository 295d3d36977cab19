// Admin → Security Settings → Groups (PRODUCT.md "Authentication policies"): the account's groups,
// which "Require two-factor authentication" may apply to. Create, rename, delete, and choose the
// members with a search over the users list. Changing the members or deleting a group decides
// whom the requirement holds: a sensitive change (the session asks for the second factor).
import { useEffect, useState } from 'react';
import type { AccountUser, Group } from '../../../contract/answers';
import { describeError } from '../api/error-messages';
import { useApiMutation } from '../data/operations';
import { useGroupMembers, useGroups, useUserPages } from '../data/queries';
import { useT } from '../i18n/I18nProvider';
import { Notice } from '../shared/Notice';
import { useSession } from '../session-context';

const PAGE = 50;

export function GroupsCard() {
  const t = useT();
  const groups = useGroups();
  const create = useApiMutation('createGroup');
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function add() {
    setError(null);
    setResult(null);
    try {
      const created = await create.mutateAsync({ body: { name: name.trim() } });
      setName('');
      setResult(t('groups.created', { name: created.group.name }));
      setEditing(created.group.id);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  const list = groups.data?.groups ?? [];
  return (
    <section className="card" aria-labelledby="groups-title">
      <div className="card-header">
        <h2 id="groups-title">{t('groups.title')}</h2>
      </div>
      <p className="muted small">{t('groups.intro')}</p>
      {groups.error ? <Notice tone="error">{describeError(groups.error)}</Notice> : null}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) void add();
        }}
      >
        <div className="field">
          <label htmlFor="group-name">{t('groups.name')}</label>
          <input id="group-name" value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" className="button-secondary" disabled={!name.trim() || create.isPending}>
          {t('groups.create')}
        </button>
      </form>
      {error ? <Notice tone="error">{error}</Notice> : null}
      {result ? (
        <p className="small" role="status">
          {result}
        </p>
      ) : null}
      {groups.data && list.length === 0 ? <p className="muted">{t('groups.empty')}</p> : null}
      <ul className="groups-list" aria-label={t('groups.listLabel')}>
        {list.map((group) => (
          <GroupRow key={group.id} group={group} open={editing === group.id} onOpen={(open) => setEditing(open ? group.id : null)} onResult={setResult} />
        ))}
      </ul>
    </section>
  );
}

function GroupRow({ group, open, onOpen, onResult }: { group: Group; open: boolean; onOpen: (open: boolean) => void; onResult: (words: string) => void }) {
  const t = useT();
  const { sensitive } = useSession();
  const rename = useApiMutation('renameGroup');
  const remove = useApiMutation('deleteGroup');
  const [renaming, setRenaming] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function saveName() {
    if (renaming === null) return;
    setError(null);
    try {
      await rename.mutateAsync({ params: { id: group.id }, body: { name: renaming.trim() } });
      setRenaming(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  async function destroy() {
    setError(null);
    try {
      const done = await sensitive(() => remove.mutateAsync({ params: { id: group.id } }));
      if (done) onResult(t('groups.deleted', { name: group.name }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setConfirming(false);
    }
  }

  return (
    <li className="group-row">
      <div className="group-row-head">
        {renaming === null ? (
          <p>
            <strong>{group.name}</strong> <span className="muted small">{t('groups.members', { count: group.memberCount })}</span>
          </p>
        ) : (
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              void saveName();
            }}
          >
            <div className="field">
              <label htmlFor={`rename-${group.id}`}>{t('groups.newName')}</label>
              <input id={`rename-${group.id}`} value={renaming} maxLength={80} onChange={(e) => setRenaming(e.target.value)} autoFocus />
            </div>
            <button type="submit" className="button-secondary" disabled={!renaming.trim() || rename.isPending}>
              {t('groups.saveName')}
            </button>
            <button type="button" className="button-secondary" onClick={() => setRenaming(null)}>
              {t('common.cancel')}
            </button>
          </form>
        )}
        <div className="group-row-actions">
          <button type="button" className="button-secondary" aria-expanded={open} onClick={() => onOpen(!open)}>
            {t('groups.editMembers')}
          </button>
          {renaming === null ? (
            <button type="button" className="button-secondary" onClick={() => setRenaming(group.name)}>
              {t('groups.rename')}
            </button>
          ) : null}
          {confirming ? (
            <>
              <button type="button" className="button-danger" disabled={remove.isPending} onClick={() => void destroy()}>
                {t('groups.confirmDelete')}
              </button>
              <button type="button" className="button-secondary" onClick={() => setConfirming(false)}>
                {t('common.cancel')}
              </button>
            </>
          ) : (
            <button type="button" className="button-secondary" onClick={() => setConfirming(true)}>
              {t('groups.delete')}
            </button>
          )}
        </div>
      </div>
      {confirming ? <p className="small">{t('groups.deleteWarning')}</p> : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      {open ? <MembersPicker group={group} onResult={onResult} /> : null}
    </li>
  );
}

/** The members as checkboxes over a search of the users list; Save replaces them all at once. */
function MembersPicker({ group, onResult }: { group: Group; onResult: (words: string) => void }) {
  const t = useT();
  const { sensitive } = useSession();
  const members = useGroupMembers(group.id);
  const save = useApiMutation('setGroupMembers');
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const [search, setSearch] = useState('');
  const [q, setQ] = useState('');
  const [error, setError] = useState<string | null>(null);
  const pages = useUserPages({ q: q || undefined }, PAGE);
  const users: AccountUser[] = pages.data?.pages.flatMap((page) => page.users) ?? [];
  const total = pages.data?.pages[0]?.total ?? 0;

  useEffect(() => {
    const timer = setTimeout(() => setQ(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const saved = new Set(members.data?.userIds ?? []);
  const selection = chosen ?? saved;
  const changed = chosen !== null && (chosen.size !== saved.size || [...chosen].some((id) => !saved.has(id)));

  function toggle(id: string, on: boolean) {
    const next = new Set(selection);
    if (on) next.add(id);
    else next.delete(id);
    setChosen(next);
  }

  async function commit() {
    setError(null);
    try {
      const done = await sensitive(() => save.mutateAsync({ params: { id: group.id }, body: { userIds: [...selection] } }));
      if (!done) return;
      setChosen(null);
      onResult(t('groups.membersSaved', { name: group.name, added: done.added, removed: done.removed, signedOut: done.revokedSessions }));
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  return (
    <div className="members-picker" role="region" aria-label={t('groups.membersOf', { name: group.name })}>
      <div className="field">
        <label htmlFor={`members-search-${group.id}`}>{t('groups.search')}</label>
        <input id={`members-search-${group.id}`} type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </div>
      <p className="small muted" role="status">
        {t('groups.selected', { count: selection.size })}
        {users.length < total ? ` · ${t('impact.showing', { shown: users.length, total })}` : null}
      </p>
      <ul className="members-list" aria-label={t('groups.usersLabel')} tabIndex={0}>
        {users.map((user) => (
          <li key={user.id} className="checkbox">
            <input id={`member-${group.id}-${user.id}`} type="checkbox" checked={selection.has(user.id)} onChange={(e) => toggle(user.id, e.target.checked)} />
            <label htmlFor={`member-${group.id}-${user.id}`}>
              {user.name} <span className="muted">({user.email})</span>
            </label>
          </li>
        ))}
      </ul>
      {users.length < total ? (
        <button type="button" className="button-secondary" disabled={pages.isFetchingNextPage} onClick={() => void pages.fetchNextPage()}>
          {t('impact.more', { count: Math.min(PAGE, total - users.length) })}
        </button>
      ) : null}
      {error ? <Notice tone="error">{error}</Notice> : null}
      <div className="inline-form">
        <button type="button" disabled={!changed || save.isPending} onClick={() => void commit()}>
          {t('groups.saveMembers')}
        </button>
        {changed ? (
          <button type="button" className="button-secondary" onClick={() => setChosen(null)}>
            {t('common.cancel')}
          </button>
        ) : null}
      </div>
    </div>
  );
}
