// Entry point of the bridge contract (see contract/ for the areas).
export * from './contract/index.ts';
export * from './model.ts';
export * from './directory.ts';
export * from './errors.ts';
