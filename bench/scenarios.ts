import { type GetUserRequest, type User, UserServiceService } from '../generated/campus/identity/v1/user.js';
import { benchUserId, ensureBenchUsers } from './bench-users.js';
import { defineScenario, type Scenario } from './scenario.js';
import { zipfSampler } from './zipf-sampler.js';

/** Skew of id choice: a few users are read far more often than the rest, as in real traffic. */
const ZIPF_S = 1.0;

/** Every scenario `npm run bench` knows, in the order they run. */
export const scenarios: readonly Scenario[] = [
  defineScenario<GetUserRequest, User, { users: number }>({
    name: 'GetUser',
    method: UserServiceService.getUser,
    setup: async ({ sql, options }) => {
      await ensureBenchUsers(sql, options.seedUsers);
      return { users: options.seedUsers };
    },
    makeRequest: ({ users }, random) => {
      const next = zipfSampler(users, ZIPF_S, random);
      return () => ({ id: benchUserId(next()) });
    },
  }),
];
