/**
 * The demo site `cli.js seed-demo` creates. Serial numbers match the terminal simulator's CLI
 * defaults (`--sn-prefix LBSIM` → LBSIM00000001…), so `npm start` shows a populated site.
 */
export interface DemoDevice {
  readonly sn: string;
  readonly alias: string;
  readonly area: string;
  readonly doors: number;
}

export interface DemoPerson {
  readonly pin: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly cardNo: string;
  readonly appLogin: boolean;
}

export const DEMO_AREAS = ['Main building', 'Warehouse'] as const;

export const DEMO_DEVICES: readonly DemoDevice[] = [
  { sn: 'LBSIM00000001', alias: 'Main entrance', area: 'Main building', doors: 2 },
  { sn: 'LBSIM00000002', alias: 'Reception', area: 'Main building', doors: 1 },
  { sn: 'LBSIM00000003', alias: 'Loading dock', area: 'Warehouse', doors: 2 },
  { sn: 'LBSIM00000004', alias: 'Storage room', area: 'Warehouse', doors: 1 },
];

export const DEMO_DEPARTMENT = { code: 'STAFF', name: 'Staff' } as const;

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { pin: '1001', firstName: 'Ana', lastName: 'García', cardNo: '100100', appLogin: true },
  { pin: '1002', firstName: 'Wei', lastName: 'Chen', cardNo: '100200', appLogin: true },
  { pin: '1003', firstName: 'Sam', lastName: 'Taylor', cardNo: '100300', appLogin: false },
];

/** `guardian` follows `ward`'s events (by pin). */
export const DEMO_GUARDIANS: readonly { readonly guardian: string; readonly ward: string }[] = [
  { guardian: '1001', ward: '1003' },
];

/** Every door, 24 h (no time zone). */
export const DEMO_ACCESS_LEVEL = { name: 'All doors', members: ['1001', '1002'] } as const;

/** Every door. */
export const DEMO_LOCKDOWN_GROUP = { name: 'Whole site' } as const;

/**
 * Where the demo password of the App Login people is kept, sealed with the field cipher, so a
 * second run can print the same summary without inventing a new password.
 */
export const DEMO_PASSWORD_SETTING = 'demo.person_password';
