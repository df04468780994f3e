import { type EntityProperty, type Platform, type TransformContext, Type } from '@mikro-orm/core';
import { fieldCryptoOf } from './field-crypto.js';

/**
 * A text column sealed with AES-256-GCM at the ORM boundary: entities and
 * services hold plaintext, the column holds `v1.<kid>.<...>` bound to
 * `<table>.<column>`. Keys come from the ORM's own configuration
 * (fieldCryptoExtension). MikroORM makes one instance per ORM and property
 * (the property names the type class), so `meta`, `prop` and `platform` here
 * belong to that ORM.
 *
 * Sealing is randomized, so two sealings of one value differ: change
 * detection compares the opened values (compareValues), and hydration keeps
 * the stored value as the snapshot (ensureComparable false) instead of
 * re-sealing it. Such a column cannot be searched: a query condition on it
 * throws (use a blind index).
 */
export class EncryptedText extends Type<string | null | undefined, string | null | undefined> {
  override convertToDatabaseValue(value: string | null | undefined, platform: Platform, context?: TransformContext) {
    if (value === null || value === undefined) return value;
    if (context?.mode === 'query') throw new Error(`${this.context()} is encrypted and cannot be used in a query condition`);
    return fieldCryptoOf(platform.getConfig()).keyRing.seal(value, this.context());
  }

  override convertToJSValue(value: string | null | undefined, platform: Platform) {
    if (value === null || value === undefined) return value;
    return fieldCryptoOf(platform.getConfig()).keyRing.open(value, this.context());
  }

  override compareValues(a: string | null | undefined, b: string | null | undefined): boolean {
    if (a === b) return true;
    if (typeof a !== 'string' || typeof b !== 'string' || !this.platform) return false;
    const { keyRing } = fieldCryptoOf(this.platform.getConfig());
    return keyRing.open(a, this.context()) === keyRing.open(b, this.context());
  }

  override compareAsType(): string {
    return 'string';
  }

  override ensureComparable(): boolean {
    return false;
  }

  override getColumnType(prop: EntityProperty, platform: Platform): string {
    return prop.columnTypes?.[0] ?? platform.getTextTypeDeclarationSQL(prop);
  }

  /** The associated data values of this column are bound to: `<table>.<column>`. */
  private context(): string {
    const table = this.meta?.tableName;
    const column = this.prop?.fieldNames?.[0];
    if (!table || !column) throw new Error('EncryptedText used outside a discovered entity property');
    return `${table}.${column}`;
  }
}
