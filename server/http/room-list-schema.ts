import { z } from 'zod';
import { roomListingSchema } from '../../shared/protocol/schemas.ts';

/** The body of GET /api/rooms. */
export const roomListResponse = z.strictObject({ rooms: z.array(roomListingSchema) });
export type RoomListResponse = z.output<typeof roomListResponse>;

/**
 * Its JSON schema, derived from the zod schema (never a hand copy): fastify serializes the response
 * with it, so a field not in the schema never leaks. Draft-07 is what fastify's serializer (ajv 8's
 * default) reads; `output` describes what the server sends, and closes every object
 * (`additionalProperties: false`).
 */
export const roomListResponseSchema = z.toJSONSchema(roomListResponse, { target: 'draft-7', io: 'output' });
