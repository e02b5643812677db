// Cleanup bookkeeping for suites that start servers, proxies and clients.
//
// Register each resource right after creating it, release all in afterAll: a failed assertion in
// the middle of a test then still stops every process. Release runs in reverse order (clients
// before the proxy before the server) and attempts every step even if one fails.

export class Resources {
  private readonly releases: (() => unknown)[] = [];

  /** Registers a release step and returns `value`, so creation and registration fit one line. */
  add<T>(value: T, release: (value: T) => unknown): T {
    this.releases.push(() => release(value));
    return value;
  }

  /** Runs every release step (last registered first); throws an AggregateError if any failed. */
  async releaseAll(): Promise<void> {
    const errors: unknown[] = [];
    while (this.releases.length > 0) {
      const release = this.releases.pop();
      try {
        await release?.();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}
