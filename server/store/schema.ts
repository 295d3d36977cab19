// The tables, as Kysely sees them. Times are integer milliseconds since the epoch and booleans
// are 0/1 so that every query reads the same on SQLite and PostgreSQL.
import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  name: string;
  slug: string;
  require_two_factor: number;
  user_verification: 'discouraged' | 'preferred' | 'required';
  settings_updated_at: number | null;
  settings_updated_by: string | null;
  created_at: number;
}

export interface UsersTable {
  id: string;
  account_id: string;
  name: string;
  email: string;
  password_hash: string;
  role: 'admin' | 'agent';
  /** Kept in step with confirmed methods so enforcement finds users without 2FA by index. */
  has_two_factor: number;
  created_at: number;
}

export interface MethodsTable {
  id: string;
  user_id: string;
  account_id: string;
  type: 'totp' | 'security_key';
  name: string;
  confirmed: number;
  created_at: number;
  last_used_at: number | null;
  totp_secret: string | null;
  totp_last_step: number | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: number | null;
  transports: string | null;
  /** Set when a sign counter went backwards: the key may have been cloned. */
  clone_warning_at: number | null;
}

export interface RecoveryCodesTable {
  id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  account_id: string;
  state: 'two_factor_required' | 'enrollment_required' | 'active';
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  second_factor_at: number | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  client_address: string | null;
  user_agent: string | null;
}

export interface ChallengesTable {
  id: string;
  session_id: string;
  purpose: 'registration' | 'authentication';
  challenge: string;
  expires_at: number;
}

export interface ThrottlesTable {
  key: string;
  attempts: number;
  window_started_at: number;
  locked_until: number | null;
}

export interface AuditEventsTable {
  /** Time-ordered, so the newest-first page is an index scan on the id. */
  id: string;
  account_id: string;
  actor_id: string | null;
  action: string;
  details: string;
  at: number;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  methods: MethodsTable;
  recovery_codes: RecoveryCodesTable;
  sessions: SessionsTable;
  challenges: ChallengesTable;
  throttles: ThrottlesTable;
  audit_events: AuditEventsTable;
}

export type { Generated };
