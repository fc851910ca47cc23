// The store contract with local coordination (files in a scratch directory); the Redis half is in test/redis.
import { describeStoreContract, localKit } from '../helpers/store-contract';

describeStoreContract(localKit);
