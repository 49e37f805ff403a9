import { base64urlToBytes } from '../../../shared/replay/base64url.ts';
import { decodeInputLog } from '../../../shared/replay/log-codec.ts';
import type { FieldFrame } from '../game/field-scene.ts';
import { startGame } from '../game/start-game.ts';
import { REPLAY_SPEEDS, ReplayPlayer, type RecordedMatch } from '../replay/replay-player.ts';
import { byId, setText } from '../ui/dom.ts';
import { getJson, matchUrl, type MatchBody } from './api.ts';
import { formatDate, formatDuration } from './format.ts';
import { showPageError, showView } from './page-shell.ts';

const NO_SUCH_MATCH = 'No such match: this replay does not exist.';
/** A point's mark on the timeline seeks this long before the point, to show the rally that made it. */
const POINT_LEAD_IN_MS = 2_000;
const PLAY_TEXT = { playing: 'Pause', paused: 'Play', finished: 'Play again' } as const;

/** /replay/<matchId>: fetches the match, plays it back with the shared simulation and the field scene. */
export async function showReplay(matchId: string, canvasRenderer: boolean): Promise<void> {
  showView('replay-view');
  if (!matchId) return showPageError(NO_SUCH_MATCH);
  const res = await getJson<MatchBody>(matchUrl(matchId));
  if (!res.ok) {
    return showPageError(res.status === 404 ? NO_SUCH_MATCH : `This replay is not available: ${res.message}`);
  }
  let player: ReplayPlayer;
  try {
    player = new ReplayPlayer(recordedMatch(res.body), performance.now());
  } catch (err) {
    console.warn('replay: cannot play', err);
    return showPageError('This replay cannot be played: its recording is damaged.');
  }
  const view = new ReplayView(player, res.body);
  startGame(byId('replay-field'), () => view.frame(performance.now()), canvasRenderer);
}

/** The API's match as the player takes it: the log decoded, seats as 0/1. */
export function recordedMatch(m: MatchBody): RecordedMatch {
  return {
    seed: m.seed,
    rules: m.rules,
    log: decodeInputLog(base64urlToBytes(m.log)),
    forfeit: m.forfeit ? { seat: m.forfeit.seat === 'left' ? 0 : 1, atStep: m.forfeit.atStep } : null,
  };
}

/** The replay's DOM controls around the scene; refreshed every animation frame (text only). */
class ReplayView {
  private readonly el = {
    scoreLeft: byId('replay-score-left'),
    scoreRight: byId('replay-score-right'),
    status: byId('replay-status'),
    time: byId('replay-time'),
    play: byId<HTMLButtonElement>('replay-play'),
    speed: byId<HTMLSelectElement>('replay-speed'),
    seek: byId<HTMLInputElement>('replay-seek'),
  };
  /** While the seek bar is held, the clock must not pull it away from the pointer. */
  private scrubbing: { resume: boolean } | null = null;

  constructor(
    private readonly player: ReplayPlayer,
    match: MatchBody,
  ) {
    const [left, right] = match.players;
    setText(byId('replay-left-name'), left.nickname);
    setText(byId('replay-right-name'), right.nickname);
    setText(
      byId('replay-title'),
      `Replay: ${left.nickname} vs ${right.nickname}, ${formatDate(match.endedAt)}`,
    );
    setText(
      byId('replay-final'),
      `final ${match.scores[0]} : ${match.scores[1]}${match.forfeit ? ` (${match.forfeit.seat} forfeited)` : ''}`,
    );
    document.title = `Replay: ${left.nickname} vs ${right.nickname} · Pong Arena`;

    const seek = this.el.seek;
    seek.max = String(player.totalSteps);
    seek.addEventListener('pointerdown', () => {
      this.scrubbing ??= { resume: player.status === 'playing' };
      player.pause(performance.now());
    });
    seek.addEventListener('input', () => player.seek(seek.valueAsNumber, performance.now()));
    // A release without a change of value fires no `change`: either ends the scrub.
    const release = () => {
      const now = performance.now();
      player.seek(seek.valueAsNumber, now);
      if (this.scrubbing?.resume && player.status === 'paused') player.play(now);
      this.scrubbing = null;
    };
    seek.addEventListener('change', release);
    seek.addEventListener('pointerup', release);
    seek.addEventListener('pointercancel', release);
    this.el.play.addEventListener('click', () => {
      const now = performance.now();
      if (player.status === 'playing') player.pause(now);
      else player.play(now);
    });
    this.el.speed.addEventListener('change', () => {
      const speed = REPLAY_SPEEDS.find((s) => s === Number(this.el.speed.value));
      if (speed) player.setSpeed(speed, performance.now());
    });
    this.renderTimeline();
  }

  /** One animation frame: move with the clock, refresh the controls, hand the scene what to draw. */
  frame(now: number): FieldFrame {
    const p = this.player;
    const s = p.update(now);
    setText(this.el.scoreLeft, String(s.scores[0]));
    setText(this.el.scoreRight, String(s.scores[1]));
    setText(this.el.status, p.status);
    setText(this.el.time, `${formatDuration(p.timeMs)} / ${formatDuration(p.durationMs)}`);
    setText(this.el.play, PLAY_TEXT[p.status]);
    if (!this.scrubbing && this.el.seek.valueAsNumber !== p.step) this.el.seek.value = String(p.step);
    // After the last point the ball is gone, as in a live match.
    const ball = s.phase === 'finished' ? null : s.ball;
    return { ball, paddles: s.paddles, ownSeat: null };
  }

  /** One mark per point along the seek bar (and as the range's tick marks); a mark seeks to its rally. */
  private renderTimeline(): void {
    const p = this.player;
    const total = Math.max(1, p.totalSteps);
    const leadIn = Math.round((POINT_LEAD_IN_MS * p.rules.tickHz) / 1000);
    const ticks = byId('replay-points');
    const marks = p.points.map((point) => {
      const option = document.createElement('option');
      option.value = String(point.step);
      ticks.append(option);
      const mark = document.createElement('button');
      mark.type = 'button';
      mark.className = `point ${point.seat === 0 ? 'left' : 'right'}`;
      mark.dataset.testid = 'replay-point';
      mark.style.left = `${(point.step / total) * 100}%`;
      const at = formatDuration((point.step * 1000) / p.rules.tickHz);
      const label = `${point.seat === 0 ? 'left' : 'right'} scores, ${point.scores[0]} : ${point.scores[1]} at ${at}`;
      mark.title = label;
      mark.setAttribute('aria-label', label);
      mark.textContent = `${point.scores[0]}:${point.scores[1]}`;
      mark.addEventListener('click', () => p.seek(point.step - leadIn, performance.now()));
      return mark;
    });
    byId('replay-timeline').replaceChildren(...marks);
  }
}
