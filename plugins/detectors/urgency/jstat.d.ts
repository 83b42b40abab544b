// jstat 1.9.6 is CommonJS without types: under NodeNext its `module.exports` is the default
// import, holding `jStat`. Only what Spout uses is declared.
declare module 'jstat' {
  interface JStat {
    gamma: {
      /** The p-quantile of Gamma(shape, scale). */
      inv(p: number, shape: number, scale: number): number;
    };
  }
  const jstat: { jStat: JStat };
  export default jstat;
}
