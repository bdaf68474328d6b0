export * from './push-codec';
export * from './terminal-tables';
export * from './access-decision';
export * from './terminal-errors';
export * from './terminal';
export * from './fleet';
