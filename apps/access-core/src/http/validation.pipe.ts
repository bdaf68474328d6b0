import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
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

const NUL_PROBLEM = 'must not contain NUL characters';

/** The path of the first string holding U+0000 in a parsed body, query or param (depth-bounded). */
export function nulFieldPath(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || 'body' : undefined;
  if (typeof value !== 'object' || value === null || depth > 8) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return path ? `${path}.${key.replaceAll('\u0000', '')}` : key.replaceAll('\u0000', '');
    const found = nulFieldPath(item, path ? `${path}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * VALIDATION_FAILED when a field holds U+0000: no text column takes it (PostgreSQL refuses it),
 * no person types it, and it would otherwise surface as a database error (500).
 */
export function refuseNul(value: unknown): void {
  const field = nulFieldPath(value);
  if (field === undefined) return;
  throw new AccessCoreException(AccessCoreErrorCode.VALIDATION_FAILED, `${field} ${NUL_PROBLEM}`, [
    { field, problems: [NUL_PROBLEM] },
  ]);
}

class AccessCoreValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') refuseNul(value);
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

/**
 * Global pipe: unknown fields are an error (not silently dropped), a NUL character anywhere is
 * refused, payloads become DTO instances.
 */
export function createValidationPipe(): ValidationPipe {
  return new AccessCoreValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationException(errors),
  });
}
