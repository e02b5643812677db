// The command list of the README's ACL paragraph, verbatim: the ACL tests grant exactly this, so
// if the scripts or the client need more, they fail (and the README must change with them).
export const README_ACL = '+evalsha +eval +get +mget +set +hget +hset +zadd +zcount +zrange +zrangebyscore +zremrangebyscore +zrem +pexpire +time +ping +info +config|get';

/** Creates (or resets) the least-privilege user of the README on `admin`'s server. */
export async function createReadmeAclUser(admin: { call(command: string, ...args: string[]): Promise<unknown> }, user: string, password: string): Promise<void> {
  await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, 'resetkeys', '~sluice:*', 'resetchannels', '-@all', ...README_ACL.split(' '));
}
