import { FocusHeading } from '../components/FocusHeading';
import type { AdminTab } from '../routes';
import { AuditLogPanel } from './AuditLogPanel';
import { SecuritySettingsPanel } from './SecuritySettingsPanel';
import { UsersPanel } from './UsersPanel';

const tabs: { id: AdminTab; label: string }[] = [
  { id: 'security', label: 'Security Settings' },
  { id: 'users', label: 'Users' },
  { id: 'audit', label: 'Audit log' },
];

/** Admin: Security Settings (as the article's path), users, and the audit log. */
export function AdminScreen({ tab, onTab, onSetUpOwnMethod }: { tab: AdminTab; onTab: (tab: AdminTab) => void; onSetUpOwnMethod: () => void }) {
  return (
    <div className="page">
      <FocusHeading>Admin</FocusHeading>
      <nav className="tabs" aria-label="Admin sections">
        {tabs.map((t) => (
          <button key={t.id} type="button" className="tab" aria-current={tab === t.id ? 'page' : undefined} onClick={() => onTab(t.id)}>
            {t.label}
          </button>
        ))}
      </nav>
      {tab === 'security' ? <SecuritySettingsPanel onSetUpOwnMethod={onSetUpOwnMethod} /> : null}
      {tab === 'users' ? <UsersPanel /> : null}
      {tab === 'audit' ? <AuditLogPanel /> : null}
    </div>
  );
}
