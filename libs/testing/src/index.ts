export * from './processes';
export * from './ports';
export * from './pg-schema';
export * from './error-doc';
export * from './site-stack';
export * from './smtp-sink';
