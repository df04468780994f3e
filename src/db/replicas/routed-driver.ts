import type { ConnectionType } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { currentReadTarget } from './read-scope.js';

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
}
