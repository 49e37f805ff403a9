import { describe, expect, it } from 'vitest';
import { ERROR_MESSAGES, ErrorCode, errorPayload } from '../../shared/protocol/errors.ts';

const codes = Object.values(ErrorCode);

describe('error catalog', () => {
  it('has codes', () => {
    expect(codes.length).toBeGreaterThan(0);
  });

  it.each(Object.entries(ErrorCode))('key %s equals its code', (key, code) => {
    expect(code).toBe(key);
  });

  it.each(codes)('%s has a message', (code) => {
    const message = ERROR_MESSAGES[code];
    expect(typeof message).toBe('string');
    expect(message.trim().length).toBeGreaterThan(0);
  });

  it('has a message for every code and no message without a code', () => {
    expect(Object.keys(ERROR_MESSAGES).sort()).toEqual([...codes].sort());
  });

  it('gives every code its own message', () => {
    expect(new Set(Object.values(ERROR_MESSAGES)).size).toBe(codes.length);
  });

  it('builds the payload a client receives from the catalog', () => {
    for (const code of codes) expect(errorPayload(code)).toEqual({ code, message: ERROR_MESSAGES[code] });
  });
});
