import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { EncryptedText } from '../crypto/encrypted-text.js';

export const USER_ROLES = ['student', 'instructor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: p.uuid().primary(),
    /** Personal data: sealed at rest (AES-256-GCM), plaintext in the entity. */
    name: p.type(EncryptedText).$type<string>(),
    /** Personal data: sealed at rest (AES-256-GCM), plaintext in the entity. */
    email: p.type(EncryptedText).$type<string>(),
    /**
     * Blind index of the email (HMAC-SHA256 of the trimmed, lower-cased email;
     * UserRepository.emailKeyOf): the unique key, so lookups ignore case
     * without the email being stored in the clear.
     */
    emailKey: p.text().unique('users_email_key_unique'),
    role: p.enum(USER_ROLES),
    passwordHash: p.text().hidden().lazy(),
    createTime: p.datetime().onCreate(() => new Date()),
    updateTime: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
    /** Set when the user was deleted: personal fields are erased, the row stays for history. */
    deleteTime: p.datetime().nullable(),
    version: p.integer().version(),
  },
  checks: [
    // Nothing readable lands in these columns, whoever writes the row.
    { name: 'users_name_sealed_check', expression: "name ~ '^v1[.]'" },
    { name: 'users_email_sealed_check', expression: "email ~ '^v1[.]'" },
    { name: 'users_email_key_check', expression: "email_key ~ '^[0-9a-f]{64}$'" },
  ],
  indexes: [
    // Keyset pages of ListUsers: (filter..., sort key, id), scanned backwards for newest first.
    { name: 'users_create_time_idx', properties: ['createTime', 'id'] },
    { name: 'users_role_create_time_idx', properties: ['role', 'createTime', 'id'] },
  ],
});

export type User = InferEntity<typeof UserSchema>;

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
