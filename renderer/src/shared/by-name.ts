import type { SecuritySettings } from '../../../contract/answers';

/**
 * The values of a message's "… by {by}": the admin's name, or none when the contract says null
 * (nobody recorded, or that admin has since been deleted). A flag of its own selects the words,
 * so no name, "none" included, is ever read as "nobody".
 */
export function byName(admin: SecuritySettings['updatedBy'] | undefined): { named: 'yes' | 'no'; by: string } {
  const name = admin?.name;
  return name ? { named: 'yes', by: name } : { named: 'no', by: '' };
}
