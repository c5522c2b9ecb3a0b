// Counts histories and invariant violations across the tiers, for the closing line of `npm run test:histories`.
export const tally = { histories: 0, violations: 0 };

/** Mocha root hooks (loaded with --require): the one line the history run ends with. */
export const mochaHooks = {
  afterAll(): void {
    if (tally.histories) console.log(`\n${tally.histories} histories, ${tally.violations} invariant violations`);
  },
};
