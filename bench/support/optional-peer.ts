/**
 * Peers are dev dependencies of sluice, not dependencies: `sluice bench` in a user's install
 * must run without them. Every suite loads a peer through here and skips (saying so) when it
 * is not installed.
 */
const missing = new Set<string>();

export async function optionalPeer<T>(name: string, load: () => Promise<T>): Promise<T | null> {
  try {
    return await load();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw e;
    if (!missing.has(name)) {
      missing.add(name);
      console.log(`  (peer ${name} not installed: skipped; \`npm install --no-save ${name}\` to compare with it)`);
    }
    return null;
  }
}

/** Peers a run skipped because they were not installed. */
export function missingPeers(): string[] {
  return [...missing];
}
