/** Tunables shared by server, client, bot and bench. Units are in the names. */

export const FIELD_WIDTH_PX = 800;
export const FIELD_HEIGHT_PX = 600;

export const PADDLE_WIDTH_PX = 12;
export const PADDLE_HEIGHT_PX = 80;
/** Distance from the field edge to the paddle's outer side. */
export const PADDLE_INSET_PX = 24;
export const PADDLE_SPEED_PX_PER_S = 480;

export const BALL_SIZE_PX = 10;
export const BALL_SERVE_SPEED_PX_PER_S = 380;
export const BALL_MAX_SPEED_PX_PER_S = 1100;
export const BALL_SPEEDUP_PER_HIT = 1.07;
/** Largest angle from horizontal after a paddle hit (at the paddle's tip). */
export const BALL_MAX_BOUNCE_RAD = (60 * Math.PI) / 180;
/** Largest serve angle from horizontal. */
export const BALL_MAX_SERVE_RAD = (30 * Math.PI) / 180;

export const COUNTDOWN_MS = 1500;

export const DEFAULT_TICK_HZ = 60;
export const DEFAULT_SNAPSHOT_HZ = 30;
export const DEFAULT_POINTS_TO_WIN = 11;

/** An input message may cover at most this many ticks (a client batches a few ticks per message). */
export const MAX_INPUT_TICKS_PER_MESSAGE = 30;

/** A player nobody has rated yet (Glicko-2's starting rating). */
export const DEFAULT_RATING = 1500;
/** Quick match pairs two players whose ratings differ by at most this much when they have just queued... */
export const MATCH_RATING_WINDOW_START = 100;
/** ...and the window widens by this much for every MATCH_RATING_WINDOW_STEP_MS waited, without limit. */
export const MATCH_RATING_WINDOW_STEP = 50;
export const MATCH_RATING_WINDOW_STEP_MS = 5_000;
