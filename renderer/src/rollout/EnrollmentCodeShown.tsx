import type { EnrollmentCode } from '../../../preload/agentdesk-api';
import { fullTime } from './when';

/** An enrolment code just issued: shown once, to read out or send to the user another way. */
export function EnrollmentCodeShown({ name, issued }: { name: string; issued: EnrollmentCode }) {
  return (
    <span data-testid="enrollment-code-issued">
      Enrolment code for {name}: <code className="enrollment-code">{issued.code}</code>. It is shown only now: tell it to {name} yourself (by
      phone, or in person), not by the email their password might open. It works once, from the device they are signing in on, until{' '}
      {fullTime(issued.expiresAt)}.
    </span>
  );
}
