// Preloaded (NODE_OPTIONS=--require) into `node-red-dev validate` so it can run without reaching the
// Flow Library: it answers the one catalogue request (https://catalogue.nodered.org/catalogue.json,
// used by the P08 similar-name and N01 unique-type checks) from a local file. Every other request
// goes out unchanged (the npm registry is used by P06, P07, D02, D03).
'use strict';
const Module = require('module');
const fs = require('fs');

const CATALOGUE_URL = 'https://catalogue.nodered.org/catalogue.json';
// SCORECARD_CATALOGUE may point at a downloaded catalogue.json for a check against the real list;
// without it the catalogue is empty, so N01/P08 only prove the package parses.
const file = process.env.SCORECARD_CATALOGUE;
const catalogue = file ? JSON.parse(fs.readFileSync(file, 'utf8')) : { modules: [] };

const wrapped = new WeakSet();
const load = Module._load;
Module._load = function (request) {
  const exported = load.apply(this, arguments);
  if (request === 'axios' && exported && typeof exported.get === 'function' && !wrapped.has(exported)) {
    const get = exported.get;
    exported.get = function (url, ...rest) {
      if (String(url) === CATALOGUE_URL) {
        process.stderr.write(`[scorecard] ${CATALOGUE_URL} answered locally (${file || 'empty catalogue'})\n`);
        return Promise.resolve({ status: 200, data: catalogue });
      }
      return get.call(this, url, ...rest);
    };
    wrapped.add(exported);
  }
  return exported;
};
