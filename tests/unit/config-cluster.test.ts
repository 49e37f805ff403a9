import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from '../../server/config.ts';
import { DEFAULT_KEY_PREFIX } from '../../server/cluster/redis-keys.ts';

describe('cluster settings from the environment', () => {
  it('REDIS_KEY_PREFIX: a hash tag, {pong} by default; anything else is refused with the reason', () => {
    expect(loadConfig({}).redisKeyPrefix).toBe(DEFAULT_KEY_PREFIX);
    expect(loadConfig({ REDIS_KEY_PREFIX: '{arena-eu:1}' }).redisKeyPrefix).toBe('{arena-eu:1}');
    for (const bad of ['pong', '{pong', '{}', '{a b}', 'x{pong}']) {
      expect(() => loadConfig({ REDIS_KEY_PREFIX: bad })).toThrow(/REDIS_KEY_PREFIX must be a hash tag/);
    }
  });

  it('API_REQUESTS_PER_MINUTE: a positive integer, 120 by default', () => {
    expect(loadConfig({}).apiRequestsPerMinute).toBe(DEFAULT_CONFIG.apiRequestsPerMinute);
    expect(loadConfig({ API_REQUESTS_PER_MINUTE: '6000' }).apiRequestsPerMinute).toBe(6000);
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      expect(() => loadConfig({ API_REQUESTS_PER_MINUTE: bad })).toThrow(
        /API_REQUESTS_PER_MINUTE must be an integer/,
      );
    }
  });
});
