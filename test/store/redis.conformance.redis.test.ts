import { afterAll, beforeAll } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { storeConformance } from '../shared/store-conformance.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';
import { startCluster, type ClusterHandle } from '../support/redis-cluster.js';

let server: RedisHandle;
let client: Redis;
let cluster: ClusterHandle;
let clusterClient: Cluster;
let fresh = 0;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startCluster()]);
  client = new Redis({ host: server.host, port: server.port });
  clusterClient = new Cluster(cluster.nodes.map((n) => ({ host: n.host, port: n.port })));
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  clusterClient?.disconnect();
  await Promise.all([server?.stop(), cluster?.stop()]);
});

// A fresh key prefix makes a fresh, empty store on the same server.
storeConformance('Redis store, single node', (policy) => RedisStore.connect(policy, client, { prefix: `conf${fresh++}:` }));
storeConformance('Redis store, 3-master cluster', (policy) => RedisStore.connect(policy, clusterClient, { prefix: `conf${fresh++}:` }));
