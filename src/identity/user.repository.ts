import { EntityRepository } from '@mikro-orm/postgresql';
import type { User } from './user.entity.js';

export class UserRepository extends EntityRepository<User> {
  /** Point read by primary key; undefined when no such user. */
  async findById(id: string): Promise<User | null> {
    return this.findOne({ id });
  }

  async findByEmail(email: string): Promise<User | null> {
    return this.findOne({ emailKey: email.toLowerCase() });
  }

  /** A live (not deleted) user with its password hash loaded, for signing in. */
  async findCredentials(email: string): Promise<User | null> {
    return this.findOne({ emailKey: email.toLowerCase(), deleteTime: null }, { populate: ['passwordHash'] });
  }
}
