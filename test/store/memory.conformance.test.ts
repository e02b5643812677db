import { MemoryStore } from '../../src/store/memory/memory-store.js';
import { storeConformance } from '../shared/store-conformance.js';

storeConformance('embedded store', async (policy) => MemoryStore.create(policy));
