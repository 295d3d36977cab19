// "Applies to" under "Require two-factor authentication": everyone, or chosen roles and groups
// (PRODUCT.md "Authentication policies"). The choice is part of the page's one draft; the impact
// preview counts only the users it holds.
import type { Role } from '../../../contract/answers';
import type { ScopeChoice } from '../data/queries';
import { useGroups } from '../data/queries';
import { useT } from '../i18n/I18nProvider';

const ROLES: Role[] = ['admin', 'agent'];

export function AppliesToSetting({ scope, onScope }: { scope: ScopeChoice; onScope: (next: ScopeChoice) => void }) {
  const t = useT();
  const groups = useGroups().data?.groups ?? [];
  const toggle = <T extends string>(list: T[], item: T, on: boolean) => (on ? [...list.filter((x) => x !== item), item] : list.filter((x) => x !== item));
  const empty = !scope.everyone && scope.roles.length === 0 && scope.groupIds.length === 0;

  return (
    <fieldset className="setting-group applies-to" aria-describedby={empty ? 'applies-to-empty' : undefined}>
      <legend>{t('settings.appliesTo')}</legend>
      <div className="radio">
        <input id="applies-everyone" type="radio" name="applies-to" checked={scope.everyone} onChange={() => onScope({ everyone: true, roles: [], groupIds: [] })} />
        <label htmlFor="applies-everyone">{t('settings.appliesEveryone')}</label>
      </div>
      <div className="radio">
        <input id="applies-chosen" type="radio" name="applies-to" checked={!scope.everyone} onChange={() => onScope({ everyone: false, roles: scope.roles, groupIds: scope.groupIds })} />
        <label htmlFor="applies-chosen">{t('settings.appliesChosen')}</label>
      </div>
      {!scope.everyone ? (
        <div className="applies-to-choices">
          <p className="small muted">{t('settings.appliesRoles')}</p>
          {ROLES.map((role) => (
            <div className="checkbox" key={role}>
              <input id={`applies-role-${role}`} type="checkbox" checked={scope.roles.includes(role)} onChange={(e) => onScope({ ...scope, roles: toggle(scope.roles, role, e.target.checked) })} />
              <label htmlFor={`applies-role-${role}`}>{t(role === 'admin' ? 'settings.appliesAdmins' : 'settings.appliesAgents')}</label>
            </div>
          ))}
          <p className="small muted">{t('settings.appliesGroups')}</p>
          {groups.length === 0 ? <p className="small muted">{t('settings.appliesNoGroups')}</p> : null}
          {groups.map((group) => (
            <div className="checkbox" key={group.id}>
              <input id={`applies-group-${group.id}`} type="checkbox" checked={scope.groupIds.includes(group.id)} onChange={(e) => onScope({ ...scope, groupIds: toggle(scope.groupIds, group.id, e.target.checked) })} />
              <label htmlFor={`applies-group-${group.id}`}>{t('settings.appliesGroup', { name: group.name, members: group.memberCount })}</label>
            </div>
          ))}
          {empty ? (
            <p className="small applies-to-empty" id="applies-to-empty" role="alert">
              {t('settings.appliesEmpty')}
            </p>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}

/** The scope in words, for the warning: "everyone", or the roles and groups by name. */
export function useScopeWords(scope: ScopeChoice): string {
  const t = useT();
  const groups = useGroups(!scope.everyone).data?.groups ?? [];
  if (scope.everyone) return t('settings.scopeEveryone');
  const names = [
    ...scope.roles.map((role) => t(role === 'admin' ? 'settings.appliesAdmins' : 'settings.appliesAgents')),
    ...scope.groupIds.map((id) => groups.find((g) => g.id === id)?.name ?? '…'),
  ];
  return t('settings.scopeChosen', { names: names.join(', ') });
}
