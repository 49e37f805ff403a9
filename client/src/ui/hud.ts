import type { MatchView } from '../net/match-session.ts';
import { byId, setText, show } from './dom.ts';

const ROLE_TEXT = { left: 'You are left', right: 'You are right', spectator: 'You are a spectator' } as const;
const CONTROLS_HELP = 'Move with W / S or ↑ / ↓ (or touch the top or bottom half of the field).';
const SPECTATOR_HELP = 'You are watching.';
/** Shown for a figure not measured yet. */
const UNKNOWN = '—';

/** Writes a match view into the DOM HUD (text only). */
export class Hud {
  private readonly el = {
    leftName: byId('player-left-name'),
    rightName: byId('player-right-name'),
    scoreLeft: byId('score-left'),
    scoreRight: byId('score-right'),
    status: byId('match-status'),
    role: byId('role'),
    ping: byId('ping'),
    jitter: byId('jitter'),
    help: byId('help'),
    spectators: byId('spectator-count'),
    invite: byId('invite'),
    inviteLink: byId('invite-link'),
    rematch: byId('rematch'),
    rematchStatus: byId('rematch-status'),
  };

  render(v: MatchView): void {
    const [left, right] = v.room.players;
    setText(this.el.leftName, left ? left.nickname + (left.connected ? '' : ' (away)') : 'waiting…');
    setText(this.el.rightName, right ? right.nickname + (right.connected ? '' : ' (away)') : 'waiting…');
    setText(this.el.scoreLeft, String(v.scores[0]));
    setText(this.el.scoreRight, String(v.scores[1]));
    setText(this.el.status, statusText(v));
    setText(this.el.role, ROLE_TEXT[v.role]);
    setText(this.el.ping, v.pingMs === null ? UNKNOWN : `${Math.round(v.pingMs)} ms`);
    setText(this.el.jitter, v.jitterMs === null ? UNKNOWN : `${Math.round(v.jitterMs)} ms`);
    setText(this.el.help, v.role === 'spectator' ? SPECTATOR_HELP : CONTROLS_HELP);
    setText(this.el.spectators, String(v.room.spectators));
    show(this.el.invite, v.phase === 'waiting' && this.el.inviteLink.textContent !== '');
    const seat = v.role === 'left' ? 0 : v.role === 'right' ? 1 : null;
    const over = v.phase === 'finished' && seat !== null;
    show(this.el.rematch, over);
    setText(this.el.rematchStatus, over ? rematchText(v, seat) : '');
  }
}

function statusText(v: MatchView): string {
  const secs = (v.timerTenths / 10).toFixed(0);
  switch (v.phase) {
    case 'waiting':
      return 'waiting for an opponent';
    case 'countdown':
      return `countdown ${Math.max(1, Math.ceil(v.timerTenths / 10))}`;
    case 'playing':
      return 'playing';
    case 'paused':
      return `paused: waiting ${secs} s for the other player to come back`;
    case 'finished': {
      const w = v.room.winner;
      if (w === null) return 'finished';
      if (v.role === 'spectator') return `finished: ${w} wins`;
      return w === v.role ? 'finished: you win!' : 'finished: you lose';
    }
  }
}

function rematchText(v: MatchView, seat: 0 | 1): string {
  const other = v.room.players[seat === 0 ? 1 : 0];
  if (!other?.connected) return 'Your opponent left.';
  if (v.room.rematch[seat]) return 'Waiting for your opponent to accept…';
  if (v.room.rematch[seat === 0 ? 1 : 0]) return 'Your opponent wants a rematch!';
  return '';
}
