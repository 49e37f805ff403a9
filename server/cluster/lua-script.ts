import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number | Buffer;

/**
 * A Lua script run with EVALSHA, loaded with EVAL the first time a server does not know it
 * (a fresh or restarted Redis). A script runs atomically: no other command runs in between.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly Arg[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** A script's reply as a list of strings (Lua tables of strings come back as arrays). */
export function stringList(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter((x): x is string => typeof x === 'string');
}
