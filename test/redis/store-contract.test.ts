// The store contract with Redis coordination: the same cases as test/unit/store-contract.test.ts, shared through a private redis-server.
import { describeStoreContract, redisKit } from '../helpers/store-contract';

describeStoreContract(redisKit);
