import { randomUUID } from 'node:crypto';
import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { type Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus, HealthClient } from '../../generated/grpc/health/v1/health.js';
import { createCatalogItem, createLesson } from '../support/builders.js';
import { anonymous, call, connect } from '../support/grpc.js';
import { campusServices, encode, RawClient, withUnpairedSurrogate } from '../support/raw-call.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

// Hostile but well-formed requests to every method of every service, built
// from the descriptor set as a reflection client would: whatever a field
// holds, the answer is never INTERNAL, and the server keeps serving.
const SEED = Number(process.env.HOSTILE_SEED ?? 20261202);
const VARIANTS = Number(process.env.HOSTILE_VARIANTS ?? 14);
const SURROGATE = 'SURROGATE';

let server: TestServer;
let raw: RawClient;
let admin: Metadata;

beforeAll(async () => {
  server = await startTestServer();
  raw = new RawClient(server.port);
  admin = await server.asAdmin();
});
afterAll(async () => {
  raw?.close();
  await server?.close();
});

/** mulberry32: a small seeded generator, so a failure can be replayed with HOSTILE_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const STRINGS = [
  '',
  'x',
  'a\u0000b',
  '\u0000',
  SURROGATE,
  '$where',
  'a.b',
  '$',
  "'; drop table users; --",
  '"unterminated',
  '- or -',
  '%_\\',
  '\u202e\ufeff',
  '😀 Übung',
  'x'.repeat(5_000),
  '0123456789abcdef01234567',
  'ZZZZZZZZZZZZZZZZZZZZZZZZ',
  '01938a4e-0000-7000-8000-000000000001',
  'not-a-uuid-0000-0000-000000000000',
  'title desc',
  '*',
  'create_time,,',
];
const INT64 = [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n)];
const UINT64 = [0n, 1n, 2n ** 64n - 1n];
const INT32 = [0, -1, 1, 2_147_483_647, -2_147_483_648, 1001];
const SECONDS = [-(2n ** 63n), 2n ** 63n - 1n, -62_135_596_801n, -62_135_596_800n, 253_402_300_799n, 253_402_300_800n, 0n, 1_764_633_600n];
const NANOS = [0, -1, 999_999_999, 1_000_000_000, -2_147_483_648];

type Pick = <T>(values: readonly T[]) => T;

/** A value for every field of `desc` (oneofs: one case), nested messages to `depth`. */
function hostile(desc: DescMessage, pick: Pick, depth: number, nul: boolean): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  if (desc.typeName === 'google.protobuf.Timestamp') return { seconds: pick(SECONDS), nanos: pick(NANOS) };
  for (const field of desc.fields) {
    if (field.oneof) continue;
    const value = fieldValue(field, pick, depth, nul);
    if (value !== undefined) init[field.localName] = value;
  }
  for (const oneof of desc.oneofs) {
    const field = pick(oneof.fields);
    const value = fieldValue(field, pick, depth, nul);
    if (value !== undefined) init[oneof.localName] = { case: field.localName, value };
  }
  return init;
}

function fieldValue(field: DescField, pick: Pick, depth: number, nul: boolean): unknown {
  const one = (): unknown => {
    if (field.message) return depth > 0 ? hostile(field.message, pick, depth - 1, nul) : undefined;
    if (field.enum) return pick([0, 1, 2, 99, -1]);
    return scalar(field.scalar ?? ScalarType.STRING, pick, nul);
  };
  switch (field.fieldKind) {
    case 'list':
      return Array.from({ length: pick([0, 1, 2]) }, one).filter((v) => v !== undefined);
    case 'map': {
      const key = scalar(field.mapKey, pick, nul);
      const value = one();
      return value === undefined ? {} : { [String(key)]: value };
    }
    default:
      return one();
  }
}

function scalar(type: ScalarType, pick: Pick, nul: boolean): unknown {
  switch (type) {
    case ScalarType.STRING:
      return nul ? 'a\u0000b' : pick(STRINGS);
    case ScalarType.BOOL:
      return pick([true, false]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return pick(INT64);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return pick(UINT64);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return pick([0, 1, 4_294_967_295]);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return pick([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e308]);
    case ScalarType.BYTES:
      return new Uint8Array([0, 255]);
    default:
      return pick(INT32);
  }
}

/** Ids of real resources, so that a request whose other fields are fine carries its hostile one to the stores. */
interface World {
  readonly user: string;
  readonly item: string;
  readonly lesson: string;
  readonly thread: string;
}

/** A plausible value for a field, by its name: the baseline every mutation starts from. */
function plausible(field: DescField, world: World, service: string): unknown {
  const name = field.name;
  if (field.fieldKind === 'scalar' && field.scalar === ScalarType.STRING) {
    if (name === 'email') return `p${randomUUID().slice(0, 8)}@example.test`;
    if (name === 'currency_code') return 'EUR';
    if (name === 'request_id') return randomUUID();
    if (name === 'password') return 'correct horse battery';
    if (name === 'user_id' || name === 'author_id' || name === 'actor_id' || name === 'instructor_id') return world.user;
    if (name === 'catalog_item_id') return world.item;
    if (name === 'lesson_id') return world.lesson;
    if (name === 'thread_id') return world.thread;
    if (name === 'id') return service.endsWith('ForumService') ? world.thread : service.endsWith('UserService') ? world.user : world.item;
    if (name === 'page_token' || name === 'order_by' || name === 'etag' || name === 'parent_post_id') return '';
    return 'Plain text';
  }
  return undefined;
}

interface Leaf {
  readonly path: string;
  readonly kind: 'string' | 'timestamp';
}

/**
 * The message with plausible values everywhere (nested messages to `depth`,
 * one element per list, one entry per map, Struct values as strings), and
 * `override` at the leaf it names. Collects every string and timestamp leaf.
 */
function build(
  desc: DescMessage,
  ctx: { world: World; service: string; leaves: Leaf[]; override?: { path: string; value: unknown } },
  path: string,
  depth: number,
): Record<string, unknown> {
  const at = (p: string, kind: Leaf['kind'], fallback: unknown) => {
    ctx.leaves.push({ path: p, kind });
    return ctx.override?.path === p ? ctx.override.value : fallback;
  };
  if (desc.typeName === 'google.protobuf.Timestamp')
    return at(path, 'timestamp', { seconds: 1_764_633_600n, nanos: 0 }) as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  const leafValue = (field: DescField, p: string): unknown => {
    if (field.message) return depth > 0 ? build(field.message, ctx, p, depth - 1) : undefined;
    if (field.enum) return 1;
    if (field.scalar === ScalarType.STRING) return at(p, 'string', plausible(field, ctx.world, ctx.service) ?? 'Plain text');
    if (field.scalar === ScalarType.BOOL) return false;
    return defaultNumber(field.scalar);
  };
  for (const field of desc.fields) {
    const p = path === '' ? field.name : `${path}.${field.name}`;
    if (field.oneof) continue;
    if (field.fieldKind === 'list') {
      const value = leafValue(field, `${p}[0]`);
      if (value !== undefined) init[field.localName] = [value];
    } else if (field.fieldKind === 'map') {
      const key = at(`${p}{key}`, 'string', 'key');
      const value = leafValue(field, `${p}{value}`);
      if (value !== undefined) init[field.localName] = { [String(key)]: value };
    } else {
      const value = leafValue(field, p);
      if (value !== undefined) init[field.localName] = value;
    }
  }
  for (const oneof of desc.oneofs) {
    const field = oneof.fields.find((f) => f.scalar === ScalarType.STRING) ?? oneof.fields[0];
    if (!field) continue;
    const value = leafValue(field, path === '' ? field.name : `${path}.${field.name}`);
    if (value !== undefined) init[oneof.localName] = { case: field.localName, value };
  }
  return init;
}

function defaultNumber(type: ScalarType | undefined): unknown {
  switch (type) {
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 1n;
    case ScalarType.BYTES:
      return new Uint8Array([1]);
    default:
      return 1;
  }
}

const HOSTILE_STRINGS = ['a\u0000b', SURROGATE, '$where', 'a.b'];
const HOSTILE_TIMES = [
  { seconds: -(2n ** 63n), nanos: 0 },
  { seconds: 2n ** 63n - 1n, nanos: 0 },
  { seconds: -62_135_596_801n, nanos: 0 },
  { seconds: 253_402_300_800n, nanos: 0 },
  { seconds: 1_764_633_600n, nanos: 1_000_000_000 },
  { seconds: 1_764_633_600n, nanos: -1 },
];

let world: World;

describe('hostile input to every method', () => {
  beforeAll(async () => {
    const { CatalogServiceClient } = await import('../../generated/campus/catalog/v1/catalog.js');
    const { ForumServiceClient } = await import('../../generated/campus/forum/v1/forum.js');
    const catalog = connect(CatalogServiceClient, server.port);
    const forum = connect(ForumServiceClient, server.port);
    try {
      const item = await createCatalogItem(catalog, { title: 'Hostile' }, admin);
      const lesson = await createLesson(catalog, item.id, { title: 'One' }, admin);
      await call(catalog.publishCatalogItem, catalog, { id: item.id }, admin);
      const thread = await call(
        forum.createThread,
        forum,
        { catalogItemId: item.id, authorId: server.admin.id, title: 'T', body: 'B' },
        admin,
      );
      world = { user: server.admin.id, item: item.id, lesson: lesson.id, thread: thread.id };
    } finally {
      catalog.close();
      forum.close();
    }
  });

  it('when every string and timestamp of every request of every method, one at a time, holds a hostile value, then none answers INTERNAL', async () => {
    const next = random(SEED);
    const anyOf: Pick = (values) => values[Math.floor(next() * values.length)] as (typeof values)[number];
    const calls: { method: string; bytes: Buffer; as: Metadata; shown: string }[] = [];
    const add = (method: string, input: DescMessage, init: Record<string, unknown>, as: Metadata) => {
      const shown = JSON.stringify(init, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)).slice(0, 300);
      calls.push({ method, bytes: encode(input, init, withUnpairedSurrogate(SURROGATE)), as, shown });
    };
    for (const service of campusServices()) {
      for (const method of service.methods) {
        const path = `${service.typeName}/${method.name}`;
        // Logout would end the admin session the other calls use.
        const as = method.name === 'Logout' ? anonymous() : admin;
        const ctx = { world, service: service.typeName, leaves: [] as Leaf[] };
        build(method.input, ctx, '', 4);
        // One hostile value at a time on a plausible request, so that it reaches the stores...
        for (const leaf of ctx.leaves) {
          for (const value of leaf.kind === 'string' ? HOSTILE_STRINGS : HOSTILE_TIMES) {
            add(path, method.input, build(method.input, { ...ctx, leaves: [], override: { path: leaf.path, value } }, '', 4), as);
          }
        }
        // ...and edge values everywhere at once.
        for (let i = 0; i < VARIANTS; i++) add(path, method.input, hostile(method.input, anyOf, 4, false), as);
      }
    }
    const internal: string[] = [];
    const codes = new Map<string, number>();
    const queue = [...calls];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const answer = await raw.call(next.method, next.bytes, next.as);
          codes.set(status[answer.code], (codes.get(status[answer.code]) ?? 0) + 1);
          if (answer.code === status.INTERNAL || answer.code === status.UNKNOWN) {
            internal.push(`${next.method} ${next.shown}: ${status[answer.code]} ${answer.error?.message ?? ''}`);
          }
        }
      }),
    );
    expect(internal).toEqual([]);
    expect(calls.length).toBeGreaterThan(500);
    expect(codes.get('INVALID_ARGUMENT') ?? 0).toBeGreaterThan(calls.length / 4);
    expect(codes.get('OK') ?? 0).toBeGreaterThan(0);

    const health = connect(HealthClient, server.port);
    try {
      expect((await call(health.check, health, { service: '' })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      health.close();
    }
    // And it still does real work.
    const method = 'campus.catalog.v1.CatalogService/SearchCatalogItems';
    const search = campusServices()
      .flatMap((s) => s.methods)
      .find((m) => `${m.parent.typeName}/${m.name}` === method);
    if (!search) throw new Error('no SearchCatalogItems');
    expect(status[(await raw.call(method, encode(search.input, { query: randomUUID() }), admin)).code]).toBe('OK');
  }, 90_000);
});
