import type { MikroORM } from '@mikro-orm/core';
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, MongoClient } from 'mongodb';
import type { DbMetrics } from './db-metrics.js';

const COMMANDS = new Set([
  'find',
  'getMore',
  'insert',
  'update',
  'delete',
  'aggregate',
  'count',
  'distinct',
  'findAndModify',
  'createIndexes',
  'dropIndexes',
  'listIndexes',
  'listCollections',
  'create',
  'drop',
  'collStats',
  'ping',
  'commitTransaction',
  'abortTransaction',
  'endSessions',
]);
const MAX_IN_FLIGHT = 10_000;

/**
 * Times every MongoDB command through the driver's command monitoring
 * (`monitorCommands: true`, set in mongoOptions): the collection comes from
 * the started event, the duration from the succeeded or failed one. Returns
 * a function that stops recording.
 */
export function instrumentMongo(orm: MikroORM, metrics: DbMetrics): () => void {
  const client = (orm.em.getConnection() as unknown as { getClient(): MongoClient }).getClient();
  const collections = new Map<number, string>();
  const started = (event: CommandStartedEvent) => {
    if (collections.size >= MAX_IN_FLIGHT) collections.clear();
    collections.set(event.requestId, collectionOf(event));
  };
  const finished = (event: CommandSucceededEvent | CommandFailedEvent) => {
    const collection = collections.get(event.requestId) ?? 'none';
    collections.delete(event.requestId);
    const operation = COMMANDS.has(event.commandName) ? event.commandName : 'other';
    metrics.observe('mongodb', operation, collection, event.duration / 1000);
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', finished);
  client.on('commandFailed', finished);
  return () => {
    client.off('commandStarted', started);
    client.off('commandSucceeded', finished);
    client.off('commandFailed', finished);
  };
}

function collectionOf(event: CommandStartedEvent): string {
  const target = event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName];
  return typeof target === 'string' && /^[\w.-]{1,120}$/.test(target) && !/^[0-9a-f-]{16,}$/i.test(target) ? target : 'none';
}
