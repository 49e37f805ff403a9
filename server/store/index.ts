export { openStore } from './open-store.ts';
export { storeOptionsFromEnv, DEFAULT_DATA_DIR } from './config.ts';
export { newSecret, SECRET_PATTERN } from './secret.ts';
export { newMatchId, newProfileId, PROFILE_ID_PATTERN, MATCH_ID_PATTERN, CURSOR_PATTERN } from './ids.ts';
export type * from './types.ts';
