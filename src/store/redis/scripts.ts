import admitSource from '../../../lua/admit.lua';
import cancelSource from '../../../lua/cancel.lua';

/**
 * Scripts are registered under names carrying the script protocol version, so two sluice
 * versions sharing one Redis never call each other's scripts (EVALSHA also keys on the body's SHA).
 */
// 4: cancel refuses (reply 2) while a later send rides on the distinct charge the message opened.
// 6: a daily key is one string of 'day:count' entries (was a hash of day fields).
export const SCRIPT_VERSION = 6;
export const SCRIPTS = {
  admit: { name: `sluice_v${SCRIPT_VERSION}_admit`, lua: admitSource },
  cancel: { name: `sluice_v${SCRIPT_VERSION}_cancel`, lua: cancelSource },
} as const;
