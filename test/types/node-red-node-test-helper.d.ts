declare module 'node-red-node-test-helper' {
  // The helper ships no types; tests use it through a small surface (init, load, unload, getNode, startServer, stopServer, settings).
  const helper: any;
  export = helper;
}
