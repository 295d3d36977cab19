import { Msg } from '../i18n/I18nProvider';
import type { EnrollmentCode } from '../../../contract/answers';
import { fullTime } from './when';

/** An enrolment code just issued: shown once, to read out or send to the user another way. */
export function EnrollmentCodeShown({ name, issued }: { name: string; issued: EnrollmentCode }) {
  return (
    <span data-testid="enrollment-code-issued">
      <Msg id="enrolCode.issued" values={{ name, code: issued.code, until: fullTime(issued.expiresAt), mono: (chunks) => <code className="enrollment-code">{chunks}</code> }} />
    </span>
  );
}
