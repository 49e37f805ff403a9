import { describe, expect, it } from 'vitest';
import { MAX_HTTP_BUFFER_BYTES } from '../../server/app.ts';
import { MAX_INPUT_TICKS_PER_MESSAGE } from '../../shared/constants.ts';
import {
  ERROR_MESSAGES,
  PROTOCOL_VERSION,
  type ErrorCode,
  type ErrorPayload,
} from '../../shared/protocol/index.ts';
import {
  expectTimeAdvances,
  SnapshotLog,
  waitFor,
  waitForSnapshot,
  type GameClient,
  type UntypedClient,
} from '../support/client.ts';
import { joinRoom, useTestEnv } from '../support/env.ts';
import { PlayerBot } from '../support/player-bot.ts';

const env = useTestEnv();
const MATCH_MS = 20_000;
/** Far more than the limiter's burst plus the drops it tolerates before disconnecting. */
const FLOOD_MESSAGES = 2_000;

/** Every server:error a client receives, so a test can prove no unexpected one came. */
function recordErrors(client: GameClient): ErrorPayload[] {
  const errors: ErrorPayload[] = [];
  client.on('server:error', (e) => errors.push(e));
  return errors;
}

async function expectServerError(client: GameClient, send: () => void, code: ErrorCode, what: string) {
  const next = waitFor(client, 'server:error');
  send();
  const [err] = await next;
  expect(err, what).toEqual({ code, message: ERROR_MESSAGES[code] });
}

/** Emits with an ack and expects the ack to carry a failure with `code`. */
async function expectAckFailure(
  client: GameClient,
  what: string,
  code: ErrorCode,
  event: string,
  ...args: unknown[]
): Promise<void> {
  let result: unknown;
  try {
    result = await (client as unknown as UntypedClient).timeout(5_000).emitWithAck(event, ...args);
  } catch (err) {
    throw new Error(`${what}: no ack (${String(err)})`, { cause: err });
  }
  expect(result, what).toEqual({ ok: false, error: code, message: ERROR_MESSAGES[code] });
}

const MALFORMED_INPUTS: [string, unknown[]][] = [
  ['no arguments', []],
  ['not an array', [{ seq: 1, intent: 0, ticks: 1 }]],
  ['a string', ['1,0,1']],
  ['null', [null]],
  ['too short', [[1, 0]]],
  ['too long', [[1, 0, 1, 1]]],
  ['seq as a string', [['1', 0, 1]]],
  ['negative seq', [[-1, 0, 1]]],
  ['fractional seq', [[1.5, 0, 1]]],
  ['seq past 2^31', [[2 ** 31, 0, 1]]],
  ['intent 2', [[1, 2, 1]]],
  ['intent -2', [[1, -2, 1]]],
  ['fractional intent', [[1, 0.5, 1]]],
  ['intent as a boolean', [[1, true, 1]]],
  ['zero ticks', [[1, 0, 0]]],
  ['one tick too many', [[1, 0, MAX_INPUT_TICKS_PER_MESSAGE + 1]]],
  ['a huge tick count', [[1, 0, 1e9]]],
  ['NaN-like tick count', [[1, 0, null]]],
  ['binary instead of a tuple', [new Uint8Array([1, 0, 1])]],
];

describe('bad messages get an error code and the match goes on', () => {
  it('refuses each bad message with its code while two players finish their match', async () => {
    const server = await env.startServer({ pointsToWin: 2 });
    const { left, right, code } = await env.startMatch(server);
    const leftErrors = recordErrors(left);
    const rightErrors = recordErrors(right);
    const log = new SnapshotLog(left);
    await waitForSnapshot(left, (s) => s.phase === 'playing');

    // A spectator may watch but not play.
    const spectator = await env.connected(server);
    const spectatorErrors = recordErrors(spectator);
    expect((await joinRoom(spectator, { code })).role).toBe('spectator');
    await expectServerError(
      spectator,
      () => spectator.emit('input', [2, -1, 2]),
      'NOT_A_PLAYER',
      'spectator',
    );

    // A player's malformed inputs are refused one by one.
    const rawRight = right as unknown as UntypedClient;
    for (const [what, args] of MALFORMED_INPUTS) {
      await expectServerError(right, () => rawRight.emit('input', ...args), 'BAD_REQUEST', `input: ${what}`);
    }

    // Unknown events: the code goes in the ack when there is one, else in server:error.
    await expectAckFailure(right, 'unknown event with an ack', 'UNKNOWN_EVENT', 'room:destroy', { code });
    await expectServerError(right, () => rawRight.emit('cheat', 11, 0), 'UNKNOWN_EVENT', 'unknown event');
    // Binary on the one-frame snapshot path is only for the server to send.
    await expectServerError(
      right,
      () => rawRight.emit('snapshot', new Uint8Array(21)),
      'UNKNOWN_EVENT',
      'a client sending a snapshot frame',
    );
    await expectServerError(right, () => rawRight.emit('time:ping'), 'BAD_REQUEST', 'ping without an ack');

    // Joins and creates that cannot succeed say why in their ack.
    const stranger = await env.connected(server);
    const strangerErrors = recordErrors(stranger);
    const join = (what: string, code: ErrorCode, ...args: unknown[]) =>
      expectAckFailure(stranger, `join: ${what}`, code, 'room:join', ...args);
    await join('code too short', 'BAD_REQUEST', { code: 'no' });
    await join('bad characters', 'BAD_REQUEST', { code: 'has spaces in it' });
    await join('code not a string', 'BAD_REQUEST', { code: 12345678 });
    await join('unknown field', 'BAD_REQUEST', { code, extra: 1 });
    await join('token too long', 'BAD_REQUEST', { code, token: 't'.repeat(65) });
    await join('not an object', 'BAD_REQUEST', 'code');
    await join('no payload, only an ack', 'BAD_REQUEST');
    await join('unknown code', 'ROOM_NOT_FOUND', { code: 'AAAAAAAAAAAA' });
    await expectAckFailure(stranger, 'create: nickname not a string', 'BAD_REQUEST', 'room:create', {
      nickname: 42,
    });
    await expectAckFailure(stranger, 'create: no payload, only an ack', 'BAD_REQUEST', 'room:create');
    await expectAckFailure(stranger, 'leave: not in a room', 'NOT_IN_ROOM', 'room:leave');
    await expectServerError(
      stranger,
      () => stranger.emit('input', [2, 1, 2]),
      'NOT_IN_ROOM',
      'input: not in a room',
    );
    await expectAckFailure(spectator, 'join: already in a room', 'ALREADY_IN_ROOM', 'room:join', { code });

    // A wrong or missing protocol version is refused at the handshake.
    for (const auth of [{ v: PROTOCOL_VERSION + 1 }, { v: String(PROTOCOL_VERSION) }, {}]) {
      const outdated = env.connect(server, { auth });
      const [err] = await waitFor(outdated, 'connect_error');
      expect(err.data, `auth ${JSON.stringify(auth)}`).toEqual({
        code: 'PROTOCOL_MISMATCH',
        message: ERROR_MESSAGES.PROTOCOL_MISMATCH,
      });
      expect(outdated.connected).toBe(false);
    }

    // A message bigger than the server accepts costs its sender the connection, nobody else.
    const flooder = await env.connected(server);
    const dropped = waitFor(flooder, 'disconnect');
    (flooder as unknown as UntypedClient).emit('room:join', {
      code,
      nickname: 'x'.repeat(MAX_HTTP_BUFFER_BYTES * 2),
    });
    await dropped;

    // All of this happened during the match...
    const during = log.last;
    expect(during?.phase).toMatch(/^(countdown|playing)$/);
    expect(Math.max(...(during?.scores ?? [2]))).toBeLessThan(2);

    // ...which then plays on to its end.
    new PlayerBot(left, { intent: 1 }).start();
    new PlayerBot(right, { intent: -1 }).start();
    const [final] = await waitFor(left, 'room:state', (s) => s.phase === 'finished', MATCH_MS);
    expect(final.winner).not.toBeNull();
    await waitForSnapshot(spectator, (s) => s.phase === 'finished');
    expectTimeAdvances(log.received);
    expect(log.received.length).toBeGreaterThan(30);

    // Nobody got an error they did not cause.
    expect(leftErrors).toEqual([]);
    expect(rightErrors.length).toBe(MALFORMED_INPUTS.length + 3);
    expect(spectatorErrors.length).toBe(1);
    expect(strangerErrors.length).toBe(1);
  });
});

describe('per-socket rate limit', () => {
  it('a flooding client hears RATE_LIMITED, is then cut off, and the match does not notice', async () => {
    const server = await env.startServer({ pointsToWin: 11 });
    const { left, code } = await env.startMatch(server);
    const flooder = await env.connected(server);
    await joinRoom(flooder, { code });
    const errors = recordErrors(flooder);
    const answers: unknown[] = [];
    const cut = waitFor(flooder, 'disconnect');
    const gone = waitFor(left, 'room:state', (s) => s.spectators === 0);

    const raw = flooder as unknown as UntypedClient;
    for (let i = 0; i < FLOOD_MESSAGES; i += 1) raw.emit('time:ping', (res: unknown) => answers.push(res));
    const [reason] = await cut;

    expect(reason).toBe('io server disconnect');
    expect(errors.map((e) => e.code)).toContain('RATE_LIMITED');
    // Past the burst, messages are refused in their ack until the socket is dropped. (The burst's
    // own answers may never come: they are dispatched a tick later, after the disconnect.)
    const served = answers.filter((a) => typeof a === 'number').length;
    const limited = answers.filter((a) => (a as { error?: unknown }).error === 'RATE_LIMITED').length;
    expect(limited).toBeGreaterThan(0);
    expect(served + limited).toBeLessThan(FLOOD_MESSAGES);
    await gone;

    const before = await waitForSnapshot(left);
    const after = await waitForSnapshot(left, (s) => s.serverTimeMs > before.serverTimeMs + 200);
    expect(after.phase).toMatch(/^(countdown|playing)$/);
  });
});
