import type { User, UserRole } from './user.entity.js';

/**
 * A user's profile as plain data: what the user cache holds and GetUser
 * returns, from Redis or PostgreSQL alike. Never the password hash.
 */
export interface UserData {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly role: UserRole;
  readonly createTime: Date;
  readonly updateTime: Date;
  /** The optimistic-lock version; the etag is made from it. */
  readonly version: number;
}

/** Copies the profile fields of an entity. */
export function userData(user: User): UserData {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    role: user.role,
    createTime: user.createTime,
    updateTime: user.updateTime,
    version: user.version,
  };
}
