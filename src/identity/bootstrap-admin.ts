import { DomainError } from '../errors/domain-error.js';
import type { Logger } from '../logger.js';
import type { UserService } from './user.service.js';

/** The actor the audit log names for the bootstrap admin's creation (no one is signed in at start). */
export const BOOTSTRAP_ACTOR = 'bootstrap';

/**
 * Creates the first admin (BOOTSTRAP_ADMIN_EMAIL / _PASSWORD) unless a user
 * with that email exists. Idempotent, and safe when several replicas start at
 * once (the unique email decides). Logs neither the email nor the password.
 */
export async function ensureBootstrapAdmin(
  users: UserService,
  admin: { readonly email: string; readonly password: string },
  log: Logger,
): Promise<void> {
  try {
    const created = await users.create({
      name: 'Administrator',
      email: admin.email,
      role: 'admin',
      password: admin.password,
      actor: BOOTSTRAP_ACTOR,
    });
    log.info({ userId: created.id }, 'bootstrap admin created');
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'ALREADY_EXISTS') {
      log.info('bootstrap admin exists already');
      return;
    }
    throw err;
  }
}
