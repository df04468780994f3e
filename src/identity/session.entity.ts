import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { UserSchema } from './user.entity.js';

/**
 * A signed-in session: the truth behind a session token. The token itself is
 * never stored, only its SHA-256, so a copy of this table lets nobody sign in.
 * Redis holds a write-through copy keyed by the same hash (see session-store.ts).
 */
export const SessionSchema = defineEntity({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserSchema).deleteRule('cascade').index('sessions_user_idx'),
    /** Hex SHA-256 of the bearer token. */
    tokenHash: p.text().unique('sessions_token_hash_unique'),
    createTime: p.datetime(),
    /** Sliding (idle) expiry: moved forward as the session is used, never past absoluteExpireTime. */
    expireTime: p.datetime(),
    /** Hard cap on the session's life, however active it is. */
    absoluteExpireTime: p.datetime(),
    /** Set by logout or by an operator; a revoked session never works again. */
    revokeTime: p.datetime().nullable().index('sessions_revoke_time_idx'),
  },
});

export type Session = InferEntity<typeof SessionSchema>;
