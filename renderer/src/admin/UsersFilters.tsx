import type { Role, UserListQuery, UserStatus } from '../../../preload/agentdesk-api';

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
  return (
    <form className="users-toolbar" role="search" aria-label="Find users" onSubmit={(e) => e.preventDefault()}>
      <div className="field field-search">
        <label htmlFor="users-search">Search</label>
        <input id="users-search" type="search" placeholder="Name or email" value={search} onChange={(e) => onSearch(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="users-two-factor">Two-factor</label>
        <select id="users-two-factor" value={query.twoFactor ?? ''} onChange={(e) => onFilter('twoFactor', e.target.value as UserListQuery['twoFactor'] | '')}>
          <option value="">Any</option>
          <option value="none">Not set up</option>
          <option value="totp">Authenticator app</option>
          <option value="security_key">Security key</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-role">Role</label>
        <select id="users-role" value={query.role ?? ''} onChange={(e) => onFilter('role', e.target.value as Role | '')}>
          <option value="">Any</option>
          <option value="admin">Admin</option>
          <option value="agent">Agent</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-status">Status</label>
        <select id="users-status" value={query.status ?? ''} onChange={(e) => onFilter('status', e.target.value as UserStatus | '')}>
          <option value="">Any</option>
          <option value="active">Active</option>
          <option value="invited">Invited</option>
          <option value="deactivated">Deactivated</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="users-sort">Sort by</label>
        <select id="users-sort" value={query.sort ?? 'name'} onChange={(e) => onFilter('sort', e.target.value)}>
          <option value="name">Name</option>
          <option value="email">Email</option>
          <option value="-lastSignIn">Last sign-in (newest first)</option>
          <option value="lastSignIn">Last sign-in (oldest first)</option>
          <option value="-created">Added (newest first)</option>
        </select>
      </div>
    </form>
  );
}
