export * from './permissions.ts';
export * from './problems.ts';
export * from './events.ts';
export * from './ledger-format.ts';
export * from './schemas/common.ts';
export * from './schemas/auth.ts';
export * from './schemas/users.ts';
export * from './schemas/ledger.ts';
