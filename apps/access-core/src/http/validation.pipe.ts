import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AccessCoreErrorCode, AccessCoreException, type ErrorDetail } from './access-core.exception';

function flatten(errors: readonly ValidationError[], parent = ''): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const problems = Object.values(e.constraints ?? {});
    if (problems.length > 0) out.push({ field, problems });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** VALIDATION_FAILED naming every failed field (never its value). */
export function validationException(errors: readonly ValidationError[]): AccessCoreException {
  const details = flatten(errors);
  const message =
    details.length > 0
      ? details.map((d) => d.problems.join('; ')).join('; ')
      : 'the request body must be a JSON object';
  return new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, message, details);
}

/** Global pipe: unknown fields are an error (not silently dropped), payloads become DTO instances. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationException(errors),
  });
}
