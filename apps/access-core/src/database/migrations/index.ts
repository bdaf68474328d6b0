import { CreateSiteSetting1767225600000 } from './1767225600000-create-site-setting';

/** Every migration, oldest first. Never edit one after it is merged; add a new one. */
export const ACCESS_CORE_MIGRATIONS = [CreateSiteSetting1767225600000];
