/**
 * Plays a recorded match back step by step with the shared simulation: the same createMatch/step
 * the server ran, fed the intents of the input log, so every frame is the state the server had
 * after that many steps (shared/replay's replay() gives the same final state in one call).
 *
 * The log is expanded once into one intent per seat per step, and the whole match is simulated
 * once up front, keeping a checkpoint (the state) every REPLAY_CHECKPOINT_STEPS steps and every
 * point scored. Seeking restores the nearest checkpoint at or before the target and simulates at
 * most REPLAY_CHECKPOINT_STEPS - 1 steps from it; playing forward steps from the current state.
 *
 * Time is a parameter (`now`, ms on any monotonic clock): while playing, the position is the step
 * reached at `anchorStep + elapsed × tickHz × speed`, so a slow frame skips ahead instead of
 * slowing the match down. The idle spans of the log (a paused match waiting for a dropped player,
 * the resume countdown) are not played: they never change the state, and nobody wants to watch a
 * 15-second wait again.
 */
import { createMatch, step } from '../../../shared/sim/step.ts';
import type { Intent, MatchState, Rules, Seat } from '../../../shared/sim/types.ts';
import { forEachStep, type Forfeit, type InputLog } from '../../../shared/replay/input-log.ts';

export const REPLAY_SPEEDS = [1, 2, 4, 8] as const;
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number];
export type ReplayStatus = 'playing' | 'paused' | 'finished';
/** A checkpoint every this many steps (5 s at 60 Hz): a seek simulates at most this many steps. */
export const REPLAY_CHECKPOINT_STEPS = 300;

/** A point scored: after `step` steps the score became `scores`, `seat` scoring it. */
export interface ScorePoint {
  step: number;
  seat: Seat;
  scores: [number, number];
}

export interface RecordedMatch {
  seed: number;
  rules: Rules;
  log: InputLog;
  forfeit: Forfeit | null;
}

export interface ReplayPlayerOptions {
  /** Start playing at once (default) or paused at the first step. */
  autoplay?: boolean;
  checkpointSteps?: number;
}

export class ReplayPlayer {
  readonly rules: Rules;
  /** Steps in the match: the seek range is 0..totalSteps. */
  readonly totalSteps: number;
  /** Every point scored, in order: the score timeline. */
  readonly points: readonly ScorePoint[];
  /** The state the match ended with (forfeit applied). */
  readonly final: MatchState;
  private readonly intents: [Int8Array, Int8Array];
  private readonly checkpoints: MatchState[] = [];
  private readonly checkpointSteps: number;
  private readonly forfeit: Forfeit | null;
  private readonly start: MatchState;
  private current: MatchState;
  private at = 0;
  private playStatus: ReplayStatus;
  private playSpeed: ReplaySpeed = 1;
  /** While playing: the step and the time the current run of play started from. */
  private anchorStep = 0;
  private anchorMs: number;

  constructor(match: RecordedMatch, now: number, opts: ReplayPlayerOptions = {}) {
    const { seed, rules, log, forfeit } = match;
    if (forfeit && forfeit.atStep !== log.steps) {
      throw new Error(`replay: forfeit at step ${forfeit.atStep} but the log has ${log.steps} steps`);
    }
    this.rules = rules;
    this.forfeit = forfeit;
    this.totalSteps = log.steps;
    this.checkpointSteps = Math.max(1, Math.floor(opts.checkpointSteps ?? REPLAY_CHECKPOINT_STEPS));
    this.intents = [new Int8Array(log.steps), new Int8Array(log.steps)];
    let i = 0;
    forEachStep(log, (left, right) => {
      this.intents[0][i] = left;
      this.intents[1][i] = right;
      i += 1;
    });

    // One pass over the whole match: checkpoints, the score timeline and the final state.
    this.start = createMatch(seed, rules);
    const points: ScorePoint[] = [];
    let state = this.start;
    for (let s = 0; s < log.steps; s += 1) {
      if (s % this.checkpointSteps === 0) this.checkpoints.push(state);
      const next = this.stepFrom(state, s);
      for (const seat of [0, 1] as const) {
        if (next.scores[seat] > state.scores[seat]) {
          points.push({ step: s + 1, seat, scores: [next.scores[0], next.scores[1]] });
        }
      }
      state = next;
    }
    this.final = this.finish(state);
    this.points = points;
    this.current = this.start;
    this.anchorMs = now;
    this.playStatus = opts.autoplay === false ? 'paused' : 'playing';
    if (this.totalSteps === 0) this.goTo(0);
  }

  /** Steps shown so far (0..totalSteps). */
  get step(): number {
    return this.at;
  }

  get status(): ReplayStatus {
    return this.playStatus;
  }

  get speed(): ReplaySpeed {
    return this.playSpeed;
  }

  /** The state at the current step. Call update(now) first to move with the clock. */
  get state(): MatchState {
    return this.current;
  }

  /** Match time at the current step, in ms (steps at the rules' tick rate). */
  get timeMs(): number {
    return (this.at * 1000) / this.rules.tickHz;
  }

  get durationMs(): number {
    return (this.totalSteps * 1000) / this.rules.tickHz;
  }

  /** Moves along with the clock while playing; reaching the last step finishes the replay. */
  update(now: number): MatchState {
    if (this.playStatus !== 'playing') return this.current;
    const elapsed = Math.max(0, now - this.anchorMs);
    const target = this.anchorStep + Math.floor((elapsed * this.rules.tickHz * this.playSpeed) / 1000);
    this.goTo(Math.min(target, this.totalSteps));
    return this.current;
  }

  play(now: number): void {
    if (this.playStatus === 'playing') return;
    // Play at the end starts over, as a video player does.
    if (this.at >= this.totalSteps) this.goTo(0);
    this.playStatus = 'playing';
    this.anchor(now);
    if (this.at >= this.totalSteps) this.playStatus = 'finished';
  }

  pause(now: number): void {
    this.update(now);
    if (this.playStatus === 'playing') this.playStatus = 'paused';
  }

  setSpeed(speed: ReplaySpeed, now: number): void {
    this.update(now);
    this.playSpeed = speed;
    this.anchor(now);
  }

  /**
   * Jumps to `target` steps (clamped to the match). Playing stays playing from there; the end
   * finishes; anywhere else after the end is paused.
   */
  seek(target: number, now: number): void {
    const to = Math.min(this.totalSteps, Math.max(0, Math.round(target)));
    const wasPlaying = this.playStatus === 'playing';
    this.goTo(to);
    if (to < this.totalSteps) this.playStatus = wasPlaying ? 'playing' : 'paused';
    this.anchor(now);
  }

  private anchor(now: number): void {
    this.anchorStep = this.at;
    this.anchorMs = now;
  }

  /** Puts the current state at `target` steps, from here or from the nearest checkpoint. */
  private goTo(target: number): void {
    if (target < this.at || target - this.at >= this.checkpointSteps) {
      const k = Math.min(Math.floor(target / this.checkpointSteps), this.checkpoints.length - 1);
      this.current = this.checkpoints[k] ?? this.start;
      this.at = Math.max(0, k) * this.checkpointSteps;
    }
    let state = this.current;
    for (let s = this.at; s < target; s += 1) state = this.stepFrom(state, s);
    this.at = target;
    // The end shows the final state, which a forfeit makes more than the last step's output.
    if (target >= this.totalSteps) {
      this.current = this.final;
      this.playStatus = 'finished';
    } else {
      this.current = state;
    }
  }

  private stepFrom(state: MatchState, s: number): MatchState {
    const inputs: [Intent, Intent] = [this.intents[0][s] as Intent, this.intents[1][s] as Intent];
    return step(state, inputs, this.rules);
  }

  /** A forfeit ends the match as the room does: finished, the other seat wins, the score unchanged. */
  private finish(state: MatchState): MatchState {
    const f = this.forfeit;
    if (!f || state.phase === 'finished') return state;
    return { ...state, phase: 'finished', winner: f.seat === 0 ? 1 : 0, countdownTicks: 0 };
  }
}
