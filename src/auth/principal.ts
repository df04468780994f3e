/**
 * Who is calling. Until authentication is configured every caller is
 * anonymous; the audit trail records `actor` as given here.
 */
export interface Principal {
  readonly kind: 'anonymous' | 'user' | 'service';
  /** User id, service name, or `anonymous`. */
  readonly id: string;
  readonly role?: 'student' | 'instructor' | 'admin';
}

export const ANONYMOUS: Principal = { kind: 'anonymous', id: 'anonymous' };
