export * from './logger';
export * from './error-serializer';
export * from './nest-logger';
