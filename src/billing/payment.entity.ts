import { defineEntity, type InferEntity, p } from '@mikro-orm/core';
import { EncryptedText } from '../crypto/encrypted-text.js';
import { EnrollmentSchema } from '../enrollment/enrollment.entity.js';
import { UserSchema } from '../identity/user.entity.js';

export const PAYMENT_STATUSES = ['pending', 'succeeded', 'refunded', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Money taken (or attempted) for an enrollment, in minor units. */
export const PaymentSchema = defineEntity({
  name: 'Payment',
  tableName: 'payments',
  properties: {
    /** The distribution column, shared with `enrollment`: a payment lives on its enrollment's shard. */
    user: () => p.manyToOne(UserSchema).deleteRule('restrict').primary(),
    id: p.uuid().primary(),
    enrollment: () =>
      p
        .manyToOne(EnrollmentSchema)
        .deleteRule('restrict')
        .updateRule('no action')
        .joinColumns('user_id', 'enrollment_id')
        .index('payments_enrollment_idx'),
    amount: p.bigint(),
    currency: p.string().length(3),
    status: p.enum(PAYMENT_STATUSES),
    /** The provider's reference for the charge; personal data, encrypted at rest. */
    providerRef: p.type(EncryptedText).$type<string | null>().nullable(),
    createTime: p.datetime(),
    updateTime: p.datetime(),
    refundTime: p.datetime().nullable(),
    version: p.integer().version(),
  },
  checks: [
    { name: 'payments_amount_check', expression: 'amount >= 0' },
    { name: 'payments_currency_check', expression: "currency ~ '^[A-Z]{3}$'" },
    { name: 'payments_provider_ref_sealed_check', expression: "provider_ref ~ '^v1[.]'" },
  ],
  indexes: [
    // Lookups by id alone (GetPayment, RefundPayment, the access rules): one probe per shard on Citus.
    { name: 'payments_id_idx', properties: ['id'] },
    { name: 'payments_user_create_time_idx', properties: ['user', 'createTime', 'id'] },
  ],
});

export type Payment = InferEntity<typeof PaymentSchema>;
