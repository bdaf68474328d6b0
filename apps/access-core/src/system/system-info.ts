/** Body of GET /api/v1/system/info. */
export interface SystemInfo {
  readonly name: string;
  readonly product: 'access-core';
  readonly version: string;
  /** Server time, ISO 8601 UTC. */
  readonly time: string;
  readonly requestId: string;
}

/** Body of PUT /api/v1/system/name. */
export interface SiteNameChanged {
  readonly name: string;
  readonly updatedAt: string;
}
