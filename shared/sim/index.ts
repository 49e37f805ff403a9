export * from './types.ts';
export { createMatch, step, movePaddle, countdownTicks, PADDLE_FACE_X } from './step.ts';
export { nextRandom } from './rng.ts';
