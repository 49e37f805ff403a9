import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Profile secrets are 256 random bits (43 base64url characters), and only their SHA-256 is stored.
 * A slow password hash (scrypt, bcrypt) exists to make guessing low-entropy human passwords
 * expensive; nobody can guess 2^256 values, so a fast hash is as safe here, and a handshake does
 * not cost milliseconds of CPU. A leaked table of hashes gives nothing back.
 */
export const SECRET_BYTES = 32;
export const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
