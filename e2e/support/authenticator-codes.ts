// Codes a phone's authenticator app would show, from the secret read off the page. The
// server accepts each code once and the neighbouring 30-second steps, so every code handed out
// here is for a later step than the last one, waiting for the clock when it must.
import { totpCode } from '../../server/testing/totp-reference.js';

const stepMs = 30_000;

export class AuthenticatorCodes {
  private readonly lastStep = new Map<string, number>();

  async next(secret: string): Promise<string> {
    const key = secret.replace(/\s/g, '').toUpperCase();
    for (;;) {
      const now = Math.floor(Date.now() / stepMs);
      const step = Math.max(now, (this.lastStep.get(key) ?? -Infinity) + 1);
      if (step <= now + 1) {
        this.lastStep.set(key, step);
        return totpCode(key, step * stepMs);
      }
      await new Promise((resolve) => setTimeout(resolve, (now + 1) * stepMs - Date.now() + 100));
    }
  }

  /** A code that is certainly wrong now (from an hour ago). */
  wrong(secret: string): string {
    const key = secret.replace(/\s/g, '').toUpperCase();
    const code = totpCode(key, Date.now() - 3_600_000);
    const valid = [-1, 0, 1].map((d) => totpCode(key, Date.now() + d * stepMs));
    return valid.includes(code) ? String((Number(code) + 1) % 1_000_000).padStart(6, '0') : code;
  }
}
