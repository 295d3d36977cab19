import { useT } from '../i18n/I18nProvider';
import type { Role, UserListQuery, UserStatus } from '../../../contract/answers';

/** The Users toolbar: search by name or email, filters and sort. */
export function UsersFilters({
  query,
  search,
  onSearch,
  onFilter,
}: {
  query: UserListQuery;
  search: string;
  onSearch: (text: string) => void;
  onFilter: <K extends keyof UserListQuery>(key: K, value: UserListQuery[K] | '') => void;
}) {
  const t = useT();
  return (
    <form className="users-toolbar" role="search" aria-label={t('users.find')} onSubmit={(e) => e.preventDefault()}>
      <div className="field field-search">
        <label htmlFor="users-search">{t('users.search')}</label>
        <input id="users-search" type="search" placeholder={t('users.searchPlaceholder')} value={search} onChange={(e) => onSearch(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="users-two-factor">{t('users.twoFactor')}</label>
        <select id="users-two-factor" value={query.twoFactor ?? ''} onChange={(e) => onFilter('twoFactor', e.target.value as UserListQuery['twoFactor'] | '')}>
          <option value="">{t('users.any')}</option>
          <option value="none">{t('users.notSetUp')}</option>
          <option value="totp">{t('method.type.totp')}</option>
          <option value="security_key">{t('method.type.security_key')}</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-role">{t('users.role')}</label>
        <select id="users-role" value={query.role ?? ''} onChange={(e) => onFilter('role', e.target.value as Role | '')}>
          <option value="">{t('users.any')}</option>
          <option value="admin">{t('role.admin')}</option>
          <option value="agent">{t('role.agent')}</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-status">{t('users.status')}</label>
        <select id="users-status" value={query.status ?? ''} onChange={(e) => onFilter('status', e.target.value as UserStatus | '')}>
          <option value="">{t('users.any')}</option>
          <option value="active">{t('status.active')}</option>
          <option value="invited">{t('status.invited')}</option>
          <option value="deactivated">{t('status.deactivated')}</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-sort">{t('users.sortBy')}</label>
        <select id="users-sort" value={query.sort ?? 'name'} onChange={(e) => onFilter('sort', e.target.value)}>
          <option value="name">{t('users.sort.name')}</option>
          <option value="email">{t('users.sort.email')}</option>
          <option value="-lastSignIn">{t('users.sort.lastSignInNewest')}</option>
          <option value="lastSignIn">{t('users.sort.lastSignInOldest')}</option>
          <option value="-created">{t('users.sort.createdNewest')}</option>
        </select>
      </div>
    </form>
  );
}
