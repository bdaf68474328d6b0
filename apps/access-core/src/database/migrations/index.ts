import { CreateSiteSetting1767225600000 } from './1767225600000-create-site-setting';
import { CreateAccessDomain1767312000000 } from './1767312000000-create-access-domain';
import { CreateAuthSession1767398400000 } from './1767398400000-create-auth-session';
import { MobilePath1767500000000 } from './1767500000000-mobile-path';
import { EventFingerprint1767600000000 } from './1767600000000-event-fingerprint';
import { PushRejectedLine1767610000000 } from './1767610000000-push-rejected-line';
import { DeviceApproval1767620000000 } from './1767620000000-device-approval';
import { EventDispatch1767630000000 } from './1767630000000-event-dispatch';

/** Every migration, oldest first. Never edit one after it is merged; add a new one. */
export const ACCESS_CORE_MIGRATIONS = [
  CreateSiteSetting1767225600000,
  CreateAccessDomain1767312000000,
  CreateAuthSession1767398400000,
  MobilePath1767500000000,
  EventFingerprint1767600000000,
  PushRejectedLine1767610000000,
  DeviceApproval1767620000000,
  EventDispatch1767630000000,
];
