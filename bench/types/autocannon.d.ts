declare module 'autocannon' {
  // autocannon ships no types; the bench uses this surface only.
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      overallRate?: number;
      duration?: number;
      timeout?: number;
      requests?: { method?: string; setupRequest?: (req: any, context: any) => any }[];
    }
    interface Histogram {
      p50: number;
      p99: number;
      max: number;
      average: number;
    }
    interface Result {
      latency: Histogram;
      requests: { total: number; average: number };
      errors: number;
      timeouts: number;
      non2xx: number;
    }
  }
  function autocannon(opts: autocannon.Options, cb: (err: Error | null, res: autocannon.Result) => void): unknown;
  export = autocannon;
}
