// Encrypts second-factor secrets at rest with AES-256-GCM. The key comes from
// AGENTDESK_SECRET_KEY, from the file AGENTDESK_SECRET_KEY_FILE names (kept apart from the data,
// so a backup of the data folder alone decrypts nothing), or is generated once into the data
// directory with mode 0600.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const VERSION = 'v1';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(material: string): SecretBox {
    const key = /^[0-9a-f]{64}$/i.test(material) ? Buffer.from(material, 'hex') : Buffer.from(material, 'base64');
    if (key.length !== 32) throw new Error('AGENTDESK_SECRET_KEY must be 32 bytes, as 64 hex digits or base64');
    return new SecretBox(key);
  }

  /**
   * A key file kept elsewhere (a secrets mount, /etc/agentdesk/secret.key), read once at start.
   * Refused unless only its owner may read it: a key readable by others protects nothing.
   */
  static fromKeyFile(path: string): SecretBox {
    let mode: number;
    try {
      mode = statSync(path).mode;
    } catch (error) {
      throw new Error(`AGENTDESK_SECRET_KEY_FILE ${path} cannot be read: ${(error as Error).message}`);
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new Error(
        `AGENTDESK_SECRET_KEY_FILE ${path} is readable by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); ` +
          `make it readable by the service's user only: chmod 600 ${path}`,
      );
    }
    const material = readFileSync(path, 'utf8').trim();
    try {
      return SecretBox.fromKey(material);
    } catch {
      throw new Error(`AGENTDESK_SECRET_KEY_FILE ${path} must hold 32 bytes, as 64 hex digits or base64`);
    }
  }

  /** The key file in the data directory, created on first use; kept 0600 in a 0700 folder. */
  static fromDataDir(dataDir: string): SecretBox {
    const path = join(dataDir, 'secret.key');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (!existsSync(path)) {
      try {
        writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    if (process.platform !== 'win32') {
      chmodSync(dataDir, 0o700);
      chmodSync(path, 0o600);
    }
    return SecretBox.fromKey(readFileSync(path, 'utf8').trim());
  }

  /** A separate key for another purpose (e.g. the recovery-code HMAC), derived with HKDF. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `agentdesk:${purpose}`, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !body || !tag) throw new Error('Not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
