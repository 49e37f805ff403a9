import { describe, expect, it } from 'vitest';
import { cleanNickname, NICKNAME_MAX_CHARS, nicknameSchema } from '../../shared/protocol/schemas.ts';

describe('nicknames', () => {
  it('trims and keeps at most 20 visible characters', () => {
    expect(cleanNickname('  Ann  ')).toBe('Ann');
    expect(cleanNickname('x'.repeat(30))).toBe('x'.repeat(NICKNAME_MAX_CHARS));
  });

  it('counts an emoji sequence as one character and keeps it whole', () => {
    const family = '👨‍👩‍👧';
    expect(cleanNickname(family.repeat(25))).toBe(family.repeat(NICKNAME_MAX_CHARS));
    expect(cleanNickname(`Ann ${family}`)).toBe(`Ann ${family}`);
  });

  it('strips control and bidi-override characters', () => {
    expect(cleanNickname('A\u0000n\u0007n\u202e')).toBe('Ann');
    expect(cleanNickname('\u202egnp.exe')).toBe('gnp.exe');
  });

  it('refuses a name with nothing visible, keeps markup as plain text', () => {
    expect(nicknameSchema.safeParse(' \u200b\u0001 ').success).toBe(false);
    expect(nicknameSchema.parse('<img src=x onerror=alert(1)>')).toBe(
      '<img src=x onerror=alert(1)>'.slice(0, 20),
    );
  });
});
