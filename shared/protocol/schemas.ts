import { z } from 'zod';
import { MAX_INPUT_TICKS_PER_MESSAGE } from '../constants.ts';
import { ROOM_PHASES } from './messages.ts';

export const NICKNAME_MAX_CHARS = 20;
export const ROOM_CODE_PATTERN = /^[A-Za-z0-9_-]{8,32}$/;

/** Control and format characters (bidi overrides included), except the joiner inside emoji sequences. */
const INVISIBLE = /(?!\u200d)[\p{Cc}\p{Cf}]/gu;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Nicknames are shown to other people: drop control and format characters, trim, keep at most
 * NICKNAME_MAX_CHARS visible characters (grapheme clusters, so an emoji is one). They are always
 * rendered as text, never as HTML.
 */
export function cleanNickname(raw: string): string {
  const visible = [...graphemes.segment(raw.replace(INVISIBLE, '').trim())].map((g) => g.segment);
  return visible.slice(0, NICKNAME_MAX_CHARS).join('').trim();
}

export const nicknameSchema = z.string().max(200).transform(cleanNickname).pipe(z.string().min(1));

export const createRoomSchema = z.strictObject({ nickname: nicknameSchema.optional() });
export type CreateRoomRequest = z.input<typeof createRoomSchema>;

export const joinRoomSchema = z.strictObject({
  code: z.string().regex(ROOM_CODE_PATTERN),
  nickname: nicknameSchema.optional(),
  token: z.string().max(64).optional(),
});
export type JoinRoomRequest = z.input<typeof joinRoomSchema>;

/**
 * `[seq, intent, ticks]`: the seat held `intent` for `ticks` consecutive client ticks, the last
 * of which is number `seq`. Intents only: the server never accepts a position.
 */
export const inputSchema = z.tuple([
  z.number().int().min(0).max(0x7fffffff),
  z.union([z.literal(-1), z.literal(0), z.literal(1)]),
  z.number().int().min(1).max(MAX_INPUT_TICKS_PER_MESSAGE),
]);
export type InputMessage = z.infer<typeof inputSchema>;

export const watchSchema = z.strictObject({
  id: z.string().regex(ROOM_CODE_PATTERN),
  nickname: nicknameSchema.optional(),
  /** Take a free seat of a public room (the lobby's "Join"); otherwise watch. */
  play: z.boolean().optional(),
});
export type WatchRequest = z.input<typeof watchSchema>;

export const queueSchema = z.strictObject({ nickname: nicknameSchema.optional() });
export type QueueRequest = z.input<typeof queueSchema>;

export const practiceSchema = z.strictObject({
  nickname: nicknameSchema.optional(),
  level: z.enum(['easy', 'normal', 'hard']),
});
export type PracticeRequest = z.input<typeof practiceSchema>;

/**
 * Handshake auth: protocol version, the browser's player id (one queue entry per player) and, for a
 * profile, its secret (256 random bits as base64url): with both, the player id is the profile's id.
 */
export const handshakeSchema = z.object({
  v: z.number(),
  playerId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .optional(),
  // Its shape (43 base64url characters) is checked by the gateway: a bad one is BAD_CREDENTIALS, so
  // the client starts a new profile rather than reloading for a protocol mismatch.
  secret: z.string().max(128).optional(),
});

/**
 * One public room in the lobby's live list (`lobby:subscribe`, `lobby:rooms`, GET /api/rooms): the
 * source of the RoomListing type and of the HTTP response schema, so the three never disagree.
 * Nicknames and score only; never the room's code or a seat token.
 */
export const roomListingSchema = z.strictObject({
  id: z.string(),
  phase: z.literal(ROOM_PHASES),
  players: z.tuple([z.string().nullable(), z.string().nullable()]),
  scores: z.tuple([z.number().int().min(0), z.number().int().min(0)]),
  spectators: z.number().int().min(0),
  /** A seat is free: "Join" instead of only "Watch". */
  joinable: z.boolean(),
  /** The id of the node that owns the room (one process: its default id); connect there to reach it. */
  node: z.string(),
});
