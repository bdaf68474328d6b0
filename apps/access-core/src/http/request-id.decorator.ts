import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { pickRequestId } from './request-id.middleware';
import type { AccessCoreRequest } from './request-context';

/** The id `requestIdMiddleware` assigned to this request. */
export const RequestId = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<AccessCoreRequest>();
  req.requestId ??= pickRequestId(req.headers['x-request-id']);
  return req.requestId;
});
