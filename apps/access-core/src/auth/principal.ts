/** The two kinds of mobile users: on-prem operators (administrators) and personnel. */
export const ROLES = ['admin', 'personnel'] as const;
export type Role = (typeof ROLES)[number];

/** Reflector metadata key of @Roles(). */
export const ROLES_KEY = 'lanbridge:roles';

/** Who is calling, as proven by a verified access token. */
export interface Principal {
  readonly role: Role;
  /** Operator id (role admin) or person id (role personnel). */
  readonly subjectId: string;
  /** Operator user name or personnel id (pin), for logs and the operation log. */
  readonly name: string;
  /** Refresh-token family the access token was issued from; logout revokes it. */
  readonly sessionId: string;
  /** Access token expiry, epoch seconds. */
  readonly expiresAt: number;
}

/** The bits of the HTTP request recorded with every admin write and every sign-in. */
export interface ClientInfo {
  readonly ip: string | undefined;
  readonly userAgent: string | undefined;
}

/** Sign-in credentials as the rules consume them, whether sent in clear or inside a JWE. */
export type Credentials =
  | { readonly type: 'admin'; readonly username: string; readonly password: string }
  | { readonly type: 'personnel'; readonly pin: string; readonly password: string };
