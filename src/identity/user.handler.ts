import { Role, type User as UserMessage, type UserServiceServer } from '../../generated/campus/identity/v1/user.js';
import { etagOf } from '../errors/etag.js';
import { sharedResponse } from '../server/shared-responses.js';
import type { Unary } from '../server/unary.js';
import type { UserData, UserRole } from './user.entity.js';
import type { RoleInput, UserService } from './user.service.js';

/** campus.identity.v1.UserService: proto in, use case, proto out. */
export function userHandlers(unary: Unary, users: UserService): UserServiceServer {
  return {
    createUser: unary(async (req, ctx) =>
      toMessage(
        await users.create({
          name: req.user?.name ?? '',
          email: req.user?.email ?? '',
          role: roleFromProto(req.user?.role ?? Role.ROLE_UNSPECIFIED),
          password: req.password,
          actor: ctx.principal.kind === 'anonymous' ? undefined : ctx.principal.id,
        }),
      ),
    ),
    getUser: unary(async (req) => sharedResponse(await users.get(req.id), toMessage)),
    batchGetUsers: unary(async (req) => ({ users: (await users.batchGet(req.ids)).map(toMessage) })),
    listUsers: unary(async (req) => {
      const page = await users.list({ pageSize: req.pageSize, pageToken: req.pageToken, role: roleInputFromProto(req.role) });
      return { users: page.users.map(toMessage), nextPageToken: page.nextPageToken };
    }),
    updateUser: unary(async (req, ctx) =>
      toMessage(
        await users.update({
          id: req.user?.id ?? '',
          etag: req.user?.etag ?? '',
          updateMask: req.updateMask,
          name: req.user?.name ?? '',
          email: req.user?.email ?? '',
          role: roleInputFromProto(req.user?.role ?? Role.ROLE_UNSPECIFIED),
          actor: ctx.principal.id,
        }),
      ),
    ),
    deleteUser: unary(async (req, ctx) => {
      await users.delete({ id: req.id, etag: req.etag, actor: ctx.principal.id });
      return {};
    }),
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

/** For filters and updates: unspecified is null (not set), an unknown number undefined (invalid). */
export function roleInputFromProto(role: Role): RoleInput {
  return role === Role.ROLE_UNSPECIFIED ? null : roleFromProto(role);
}

/** Takes the entity as well as the cached data (they have the same shape). */
export function toMessage(user: UserData): UserMessage {
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
