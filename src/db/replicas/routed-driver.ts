import type { ConnectionType } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { currentReadTarget } from './read-scope.js';
import { replicaName } from './replica-monitor.js';

/** A `pg` pool under the ORM, named `primary` or as its replica (`host:port/database`). */
export interface NamedPool {
  readonly name: string;
  readonly pool: pg.Pool;
}

/**
 * The PostgreSQL driver with reads routed per call instead of per statement
 * at random: a read outside a transaction goes to the replica its call was
 * given (see ReadRouter), else to the primary. Writes and every statement of
 * a transaction go to the primary, as with the stock driver.
 */
export class RoutedPostgreSqlDriver extends PostgreSqlDriver {
  override getConnection(type: ConnectionType = 'write'): ReturnType<PostgreSqlDriver['getConnection']> {
    const replica = type === 'read' ? currentReadTarget() : undefined;
    return replica === undefined ? this.connection : (this.replicas[replica] ?? this.connection);
  }

  /** The pools of the primary and of each replica, once the ORM is connected. */
  async pools(): Promise<NamedPool[]> {
    const urls = this.config.get('replicas') ?? [];
    const named = [
      { name: 'primary', connection: this.connection },
      ...this.replicas.map((connection, i) => ({ name: replicaName(urls[i]?.clientUrl ?? `postgresql://replica-${i}`), connection })),
    ];
    return Promise.all(named.map(async ({ name, connection }) => ({ name, pool: (await connection.getNativeClient()) as pg.Pool })));
  }
}
