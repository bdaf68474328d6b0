import { SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthGuard } from './auth.guard';
import { ROLES_KEY, type Role } from './principal';

/** Requires a valid access token whose role is one of `roles` (401 without one, 403 otherwise). */
export function Roles(...roles: Role[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    UseGuards(AuthGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: no, a malformed, an expired or a revoked token' }),
    ApiForbiddenResponse({ description: 'FORBIDDEN: the role may not call this endpoint' }),
  );
}
