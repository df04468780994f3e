import {
  type Payment as PaymentMessage,
  type PaymentServiceServer,
  PaymentStatus as PaymentStatusProto,
} from '../../generated/campus/billing/v1/payment.js';
import { etagOf } from '../errors/etag.js';
import type { Unary } from '../server/unary.js';
import type { Payment, PaymentStatus } from './payment.entity.js';
import type { PaymentService } from './payment.service.js';

/** campus.billing.v1.PaymentService: proto in, use case, proto out. */
export function paymentHandlers(unary: Unary, payments: PaymentService): PaymentServiceServer {
  return {
    getPayment: unary(async (req) => toMessage(await payments.get(req.id))),
    listPayments: unary(async (req) => {
      const page = await payments.list(req);
      return { payments: page.items.map(toMessage), nextPageToken: page.nextPageToken };
    }),
    refundPayment: unary(async (req, ctx) =>
      toMessage(
        await payments.refund({ id: req.id, etag: req.etag, requestId: req.requestId, actor: ctx.principal.id, caller: ctx.principal }),
      ),
    ),
  };
}

const STATUS_TO_PROTO: Record<PaymentStatus, PaymentStatusProto> = {
  pending: PaymentStatusProto.PAYMENT_STATUS_PENDING,
  succeeded: PaymentStatusProto.PAYMENT_STATUS_SUCCEEDED,
  refunded: PaymentStatusProto.PAYMENT_STATUS_REFUNDED,
  failed: PaymentStatusProto.PAYMENT_STATUS_FAILED,
};

export function toMessage(payment: Payment): PaymentMessage {
  return {
    id: payment.id,
    userId: payment.user.id,
    enrollmentId: payment.enrollment.id,
    amount: { currencyCode: payment.currency, amountMinor: payment.amount },
    status: STATUS_TO_PROTO[payment.status],
    createTime: payment.createTime,
    updateTime: payment.updateTime,
    refundTime: payment.refundTime ?? undefined,
    etag: etagOf(payment.version),
  };
}
