import type { Socket as EngineSocket } from 'engine.io';
import { isInputFrame } from '../../shared/codec/input-frame.ts';
import { interceptFrames } from './engine-internals.ts';

const isFrameBuffer = (data: unknown): data is Buffer => Buffer.isBuffer(data) && isInputFrame(data);

/**
 * Takes a connection's binary input frames off its transport, before engine.io's socket events,
 * socket.io's decoder and its dispatch: the hot path upstream, 20 messages a second per player.
 * Returns false when the transport could not be hooked; the frames then arrive through socket.io
 * as `input` events carrying the bytes, and the gateway handles them the same way.
 */
export function interceptInputFrames(conn: EngineSocket, onFrame: (frame: Buffer) => void): boolean {
  return interceptFrames(conn, isFrameBuffer, onFrame);
}
