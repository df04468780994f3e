import { type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { FieldViolation } from '../errors/domain-error.js';

/** google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;
const MAX_NANOS = 999_999_999;

/** Well-known types a JSON caller sends as plain values: their inner fields are not named in paths. */
const TRANSPARENT = new Set(['google.protobuf.Struct', 'google.protobuf.Value', 'google.protobuf.ListValue']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * What no service can store, checked on a request's wire bytes before any
 * handler sees it, for every field of every message (descriptors from the
 * descriptor set): strings (and map keys) with a NUL character or that are
 * not valid UTF-8 (an unpaired surrogate is sent as such), and
 * google.protobuf.Timestamp values outside 0001-01-01..9999-12-31 or with
 * nanos outside 0..999,999,999. One violation per field, named as in the
 * contract (`events[2].occur_time`); free-form values (Struct) are named by
 * the field that holds them.
 */
export function scanRequest(desc: DescMessage, bytes: Uint8Array): FieldViolation[] {
  const out: FieldViolation[] = [];
  try {
    scanMessage(new BinaryReader(bytes), bytes, bytes.length, desc, '', out);
  } catch {
    // Malformed bytes: the decoder that runs next answers for them.
  }
  return out;
}

function scanMessage(reader: BinaryReader, bytes: Uint8Array, end: number, desc: DescMessage, prefix: string, out: FieldViolation[]): void {
  const transparent = TRANSPARENT.has(desc.typeName);
  const seen = new Map<number, number>();
  while (reader.pos < end) {
    const [number, wireType] = reader.tag();
    const field = desc.fields.find((f) => f.number === number);
    if (!field || wireType !== WireType.LengthDelimited || !holdsText(field)) {
      reader.skip(wireType);
      continue;
    }
    const index = seen.get(number) ?? 0;
    seen.set(number, index + 1);
    const path = transparent
      ? prefix
      : `${prefix === '' ? '' : `${prefix}.`}${field.name}${field.fieldKind === 'list' ? `[${index}]` : ''}`;
    const length = reader.uint32();
    const start = reader.pos;
    const stop = start + length;
    if (field.fieldKind === 'scalar' || (field.fieldKind === 'list' && field.listKind === 'scalar')) {
      checkText(bytes.subarray(start, stop), path, out);
    } else if (field.fieldKind === 'map') {
      scanMapEntry(reader, bytes, stop, field, path, out);
    } else if (field.message) {
      if (field.message.typeName === 'google.protobuf.Timestamp') checkTimestamp(reader, stop, path, out);
      else scanMessage(reader, bytes, stop, field.message, path, out);
    }
    reader.pos = stop;
  }
}

/** Whether a length-delimited value of this field can hold text or a Timestamp (strings, messages, maps). */
function holdsText(field: DescField): boolean {
  switch (field.fieldKind) {
    case 'scalar':
      return field.scalar === ScalarType.STRING;
    case 'list':
      return field.listKind === 'message' || (field.listKind === 'scalar' && field.scalar === ScalarType.STRING);
    case 'map':
      return field.mapKey === ScalarType.STRING || field.mapKind === 'message' || field.scalar === ScalarType.STRING;
    case 'message':
      return true;
    case 'enum':
      return false;
  }
}

/** A map entry: key 1, value 2. Problems are reported on the map field itself. */
function scanMapEntry(
  reader: BinaryReader,
  bytes: Uint8Array,
  end: number,
  field: DescField & { fieldKind: 'map' },
  path: string,
  out: FieldViolation[],
): void {
  while (reader.pos < end) {
    const [number, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) {
      reader.skip(wireType);
      continue;
    }
    const length = reader.uint32();
    const stop = reader.pos + length;
    if (number === 1 || (number === 2 && field.mapKind === 'scalar')) checkText(bytes.subarray(reader.pos, stop), path, out);
    else if (number === 2 && field.mapKind === 'message') scanMessage(reader, bytes, stop, field.message, path, out);
    reader.pos = stop;
  }
}

function checkText(bytes: Uint8Array, field: string, out: FieldViolation[]): void {
  let ascii = true;
  for (const byte of bytes) {
    if (byte === 0) {
      add(out, field, 'NUL_CHARACTER', `${field} must not contain a NUL character`);
      return;
    }
    if (byte >= 0x80) ascii = false;
  }
  if (ascii) return;
  try {
    utf8.decode(bytes);
  } catch {
    add(out, field, 'INVALID_UTF8', `${field} must be valid UTF-8 (no unpaired surrogates)`);
  }
}

function checkTimestamp(reader: BinaryReader, end: number, field: string, out: FieldViolation[]): void {
  let seconds = 0n;
  let nanos = 0;
  while (reader.pos < end) {
    const [number, wireType] = reader.tag();
    if (number === 1 && wireType === WireType.Varint) seconds = BigInt(reader.int64());
    else if (number === 2 && wireType === WireType.Varint) nanos = reader.int32();
    else reader.skip(wireType);
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS || nanos < 0 || nanos > MAX_NANOS) {
    add(out, field, 'TIMESTAMP_OUT_OF_RANGE', `${field} must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z`);
  }
}

/** One violation per field: the first problem found names it. */
function add(out: FieldViolation[], field: string, reason: string, description: string): void {
  if (!out.some((v) => v.field === field)) out.push({ field, reason, description });
}
