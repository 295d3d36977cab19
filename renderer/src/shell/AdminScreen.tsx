import { useT } from '../i18n/I18nProvider';
import type { MessageId } from '../i18n';
import { FocusHeading } from '../shared/FocusHeading';
import type { AdminTab } from '../routes';
import { AuditLogPanel } from '../audit/AuditLogPanel';
import { SecuritySettingsPanel } from '../admin-security-settings/SecuritySettingsPanel';
import { AccountPolicyCards } from '../admin-security-settings/AccountPolicyCards';
import { IdentityProvidersCards } from '../admin-security-settings/IdentityProvidersCards';
import { ScimProvisioningCard } from '../admin-security-settings/ScimProvisioningCard';
import { UsersPanel } from '../admin-users/UsersPanel';
import { GroupsCard } from '../admin-groups/GroupsCard';
import { AdoptionTab } from '../adoption/AdoptionTab';

const tabs: { id: AdminTab; label: MessageId }[] = [
  { id: 'security', label: 'admin.tab.security' },
  { id: 'policies', label: 'admin.tab.policies' },
  { id: 'sso', label: 'admin.tab.sso' },
  { id: 'users', label: 'admin.tab.users' },
  { id: 'audit', label: 'admin.tab.audit' },
  { id: 'adoption', label: 'admin.tab.adoption' },
];

/** Admin: Security Settings (as the article's path), sessions and networks, users, the audit log, and 2FA adoption. */
export function AdminScreen({ tab, onTab, onSetUpOwnMethod }: { tab: AdminTab; onTab: (tab: AdminTab) => void; onSetUpOwnMethod: () => void }) {
  const t = useT();
  return (
    <div className="page">
      <FocusHeading>{t('admin.title')}</FocusHeading>
      <nav className="tabs" aria-label={t('admin.sections')}>
        {tabs.map((item) => (
          <button key={item.id} type="button" className="tab" aria-current={tab === item.id ? 'page' : undefined} onClick={() => onTab(item.id)}>
            {t(item.label)}
          </button>
        ))}
      </nav>
      {tab === 'security' ? <SecuritySettingsPanel onSetUpOwnMethod={onSetUpOwnMethod} /> : null}
      {tab === 'security' ? <GroupsCard /> : null}
      {tab === 'security' ? <ScimProvisioningCard /> : null}
      {tab === 'policies' ? <AccountPolicyCards /> : null}
      {tab === 'sso' ? <IdentityProvidersCards /> : null}
      {tab === 'users' ? <UsersPanel /> : null}
      {tab === 'audit' ? <AuditLogPanel /> : null}
      {tab === 'adoption' ? <AdoptionTab /> : null}
    </div>
  );
}
