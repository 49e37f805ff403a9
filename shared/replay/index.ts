export { InputRecorder, forEachStep, type Forfeit, type InputLog } from './input-log.ts';
export { encodeInputLog, decodeInputLog, LOG_FORMAT_VERSION } from './log-codec.ts';
export { bytesToBase64url, base64urlToBytes } from './base64url.ts';
export { replay } from './replay.ts';
