/** Injection tokens for the values `startAccessCore` builds before Nest starts. */
export const ACCESS_CORE_CONFIG = Symbol('ACCESS_CORE_CONFIG');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
