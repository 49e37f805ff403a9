export {
  InputRecorder,
  forEachStep,
  logPosition,
  START_MARK,
  type Forfeit,
  type InputLog,
  type LogMark,
  type LogSegment,
} from './input-log.ts';
export { appendSegment, isLogSegment, joinSegments } from './log-segments.ts';
export { encodeInputLog, decodeInputLog, LOG_FORMAT_VERSION } from './log-codec.ts';
export { bytesToBase64url, base64urlToBytes } from './base64url.ts';
export { replay } from './replay.ts';
