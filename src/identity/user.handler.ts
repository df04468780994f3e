import { Role, type User as UserMessage, type UserServiceServer } from '../../generated/campus/identity/v1/user.js';
import { etagOf } from '../errors/etag.js';
import type { Unary } from '../server/unary.js';
import type { User, UserRole } from './user.entity.js';
import type { UserService } from './user.service.js';

/** campus.identity.v1.UserService: proto in, use case, proto out. */
export function userHandlers(unary: Unary, users: UserService): UserServiceServer {
  return {
    createUser: unary(async (req) =>
      toMessage(
        await users.create({
          name: req.user?.name ?? '',
          email: req.user?.email ?? '',
          role: roleFromProto(req.user?.role ?? Role.ROLE_UNSPECIFIED),
          password: req.password,
        }),
      ),
    ),
    getUser: unary(async (req) => toMessage(await users.get(req.id))),
  };
}

const ROLE_TO_PROTO: Record<UserRole, Role> = {
  student: Role.ROLE_STUDENT,
  instructor: Role.ROLE_INSTRUCTOR,
  admin: Role.ROLE_ADMIN,
};

/** Unspecified means student; an unknown number is undefined (invalid). */
export function roleFromProto(role: Role): UserRole | undefined {
  switch (role) {
    case Role.ROLE_UNSPECIFIED:
    case Role.ROLE_STUDENT:
      return 'student';
    case Role.ROLE_INSTRUCTOR:
      return 'instructor';
    case Role.ROLE_ADMIN:
      return 'admin';
    default:
      return undefined;
  }
}

export function toMessage(user: User): UserMessage {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    role: ROLE_TO_PROTO[user.role],
    createTime: user.createTime,
    updateTime: user.updateTime,
    etag: etagOf(user.version),
  };
}
