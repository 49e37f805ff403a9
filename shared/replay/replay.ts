import { createMatch, step } from '../sim/step.ts';
import type { Intent, MatchState, Rules } from '../sim/types.ts';
import { forEachStep, type Forfeit, type InputLog } from './input-log.ts';

/**
 * Re-runs a match from its seed and input log with the shared simulation and returns the final
 * state. The simulation is deterministic, so this is bit-identical to the state the server ended
 * with. A forfeit ends the match after `atStep` steps the way the room does: finished, the other
 * seat wins, the score unchanged. `untilStep` stops early (a viewer seeking into the match).
 */
export function replay(
  seed: number,
  rules: Rules,
  log: InputLog,
  forfeit?: Forfeit | null,
  untilStep: number = log.steps,
): MatchState {
  if (forfeit && forfeit.atStep !== log.steps) {
    throw new Error(`replay: forfeit at step ${forfeit.atStep} but the log has ${log.steps} steps`);
  }
  let state = createMatch(seed, rules);
  let done = 0;
  if (untilStep > 0) {
    const inputs: [Intent, Intent] = [0, 0];
    forEachStep(log, (left, right) => {
      if (done >= untilStep) return;
      inputs[0] = left;
      inputs[1] = right;
      state = step(state, inputs, rules);
      done += 1;
    });
  }
  if (forfeit && done === forfeit.atStep && state.phase !== 'finished') {
    state = { ...state, phase: 'finished', winner: forfeit.seat === 0 ? 1 : 0, countdownTicks: 0 };
  }
  return state;
}
