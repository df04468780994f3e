import { defineEntity, type InferEntity, p } from '@mikro-orm/core';

/**
 * The first result of a mutation called with a `request_id` (AIP-155): the
 * same request_id again returns it and does nothing twice.
 */
export const IdempotencyRecordSchema = defineEntity({
  name: 'IdempotencyRecord',
  tableName: 'idempotency_records',
  properties: {
    id: p.uuid().primary(),
    /** The RPC, e.g. `campus.enrollment.v1.EnrollmentService/Enroll`. */
    operation: p.text(),
    requestId: p.uuid(),
    /** Hash of the request, so a reused request_id with other fields is refused. */
    fingerprint: p.text(),
    /** Id of the resource the first call produced. */
    resourceId: p.uuid(),
    createTime: p.datetime().index('idempotency_records_create_time_idx'),
  },
  uniques: [{ name: 'idempotency_records_operation_request_unique', properties: ['operation', 'requestId'] }],
});

export type IdempotencyRecord = InferEntity<typeof IdempotencyRecordSchema>;
