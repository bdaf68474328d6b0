// Destructive test helpers check NODE_ENV; jest sets it to "test" already, keep it explicit.
'use strict';
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL = process.env.LOG_LEVEL || 'silent';
