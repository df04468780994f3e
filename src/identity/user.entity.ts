import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { UserRepository } from './user.repository.js';

export const USER_ROLES = ['student', 'instructor', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const UserSchema = defineEntity({
  name: 'User',
  tableName: 'users',
  repository: () => UserRepository,
  properties: {
    id: p.uuid().primary(),
    name: p.text(),
    email: p.text(),
    /** Lower-cased email: the unique key, so lookups ignore case. */
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
  indexes: [
    // Keyset pages of ListUsers: (filter..., sort key, id), scanned backwards for newest first.
    { name: 'users_create_time_idx', properties: ['createTime', 'id'] },
    { name: 'users_role_create_time_idx', properties: ['role', 'createTime', 'id'] },
  ],
});

export type User = InferEntity<typeof UserSchema>;
