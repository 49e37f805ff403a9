import type { QueueEntry } from '../lobby/matchmaking-queue.ts';
import type { Presence } from '../lobby/quick-match.ts';
import type { Tickable } from '../rooms/scheduler.ts';
import { seat } from './handlers.ts';
import type { GatewayContext } from './session.ts';

/** How often waiting players are paired again even when nobody joins: their rating windows widen. */
export const QUEUE_PAIR_INTERVAL_MS = 1_000;

/**
 * Runs the quick-match pairing: after each `queue:join` (request()) and every QUEUE_PAIR_INTERVAL_MS
 * from the game loop. One run at a time: a request during a run makes one more run after it.
 * Each pair is seated in a new public room on this node and both players are told.
 */
export class QueuePairer implements Tickable {
  private running = false;
  private again = false;
  private lastRunMs = -Infinity;

  constructor(private readonly ctx: () => GatewayContext) {}

  tick(nowMs: number): void {
    if (nowMs - this.lastRunMs < QUEUE_PAIR_INTERVAL_MS) return;
    this.lastRunMs = nowMs;
    if (this.ctx().quickMatch.waiting > 0) this.request();
  }

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.request();
      }
    });
  }

  private async run(): Promise<void> {
    const ctx = this.ctx();
    try {
      const { pairs, busy } = await ctx.quickMatch.pair((e) => this.where(e));
      for (const e of busy) {
        ctx.io.to(e.socketId).emit('queue:left', { reason: 'You are already playing in another tab.' });
      }
      for (const { a, b } of pairs) this.seatPair(a, b);
    } catch (err) {
      ctx.log.error({ err }, 'quick-match pairing failed');
    }
  }

  private where(e: QueueEntry): Presence {
    const ctx = this.ctx();
    const s = ctx.sessions.get(e.socketId);
    if (s) return s.socket.connected && s.code === null ? 'available' : 'gone';
    return e.node !== undefined && e.node !== ctx.nodeId ? 'remote' : 'gone';
  }

  /** A new public room here; players on this node are seated, players elsewhere get a held seat. */
  private seatPair(a: QueueEntry, b: QueueEntry): void {
    const ctx = this.ctx();
    const room = ctx.rooms.create('public');
    const told = [a, b].map((e) => {
      const s = ctx.sessions.get(e.socketId);
      if (s)
        return {
          to: e.socketId,
          res: seat(s, room, { nickname: e.nickname, showCode: false, wantsSeat: true }),
        };
      // The player's socket is on another node: it reconnects here and takes the seat with the token.
      const held = room.hold({ nickname: e.nickname, playerId: e.playerId });
      return {
        to: e.socketId,
        res: {
          ok: true as const,
          code: room.code,
          role: held.role,
          token: held.token,
          rules: ctx.rules,
          room: room.info(),
          held: true,
        },
      };
    });
    // Both are seated before either hears of it, so each sees the full roster at once.
    for (const { to, res } of told) {
      if (res.ok) ctx.io.to(to).emit('queue:matched', { ...res, room: room.info(), node: ctx.nodeId });
    }
  }
}
