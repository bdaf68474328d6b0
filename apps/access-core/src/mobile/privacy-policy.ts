/** Shown under Me → Privacy policy. The site operator is the data controller. */
export const PRIVACY_POLICY = {
  version: '2026-11',
  text: [
    'This app connects to the access-control server of the site that issued your account.',
    'Your personal data (name, personnel id, card number, access events, visitor details, photos and identity numbers) is stored on that server, on the premises, and is encrypted at rest where it is sensitive.',
    'The cloud relay only forwards the encrypted connection between this app and the site; it does not store your access data unless the site administrator enabled pushing data to the cloud.',
    'You can ask the site administrator for an export of your data or for its deletion.',
    'Sign-ins, and every change an administrator makes, are recorded with the time, address and device.',
  ].join('\n\n'),
} as const;

/** site_setting key of the text an administrator wrote instead (`PUT /api/v1/settings/privacy-policy`). */
export const PRIVACY_POLICY_KEY = 'privacy.policy';
