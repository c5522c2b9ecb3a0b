// Counts histories and invariant violations across the tiers, for the closing line of `npm run test:histories`.
export const tally = { histories: 0, violations: 0 };

/**
 * Loaded with --require: the count is printed when the process exits, after mocha's own summary, so it is
 * the run's last line.
 */
export const mochaHooks = {
  beforeAll(): void {
    if (registered) return;
    registered = true;
    process.on('exit', () => {
      if (tally.histories) console.log(`\n${tally.histories} histories, ${tally.violations} invariant violations`);
    });
  },
};
let registered = false;
