import { Migration } from '@mikro-orm/migrations';
import type { EntityManager } from '@mikro-orm/postgresql';
import { fieldCryptoOf } from '../../crypto/field-crypto.js';
import { resealPersonalData } from '../../crypto/reseal.js';

/**
 * Personal data at rest: users.name, users.email and payments.provider_ref
 * become sealed values, users.email_key the email's blind index. Rows written
 * by earlier versions (in the clear) are sealed here, in this migration's
 * transaction, under the keys of the ORM running it (`npm run migrate` passes
 * the configured ones); the checks then keep anything unsealed out.
 */
export class Migration20261125005514 extends Migration {
  override name = 'Migration20261125005514';

  override async up(): Promise<void> {
    const [counts] = await this.execute(
      `select (select count(*) from users) + (select count(*) from payments where provider_ref is not null) as n`,
    );
    if (Number(counts?.n ?? 0) > 0) {
      const crypto = fieldCryptoOf(this.config);
      await resealPersonalData(this.getEntityManager() as unknown as EntityManager, crypto, { source: 'plaintext', batchSize: 1000 });
    }

    this.addSql(`alter table "users" add constraint "users_name_sealed_check" check (name ~ '^v1[.]');`);
    this.addSql(`alter table "users" add constraint "users_email_sealed_check" check (email ~ '^v1[.]');`);
    this.addSql(`alter table "users" add constraint "users_email_key_check" check (email_key ~ '^[0-9a-f]{64}$');`);

    this.addSql(`alter table "payments" add constraint "payments_provider_ref_sealed_check" check (provider_ref ~ '^v1[.]');`);
  }

  /** Drops the checks only: values stay sealed (opening them needs the keys, not a migration). */
  override down(): void | Promise<void> {
    this.addSql(`alter table "payments" drop constraint "payments_provider_ref_sealed_check";`);

    this.addSql(`alter table "users" drop constraint "users_name_sealed_check";`);
    this.addSql(`alter table "users" drop constraint "users_email_sealed_check";`);
    this.addSql(`alter table "users" drop constraint "users_email_key_check";`);
  }
}
