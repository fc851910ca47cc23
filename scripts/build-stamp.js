// A hash over every file under src/ (paths and contents): the build records it, and the node tests
// compare it with the tree they run against, so a test never exercises code older than its source.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const STAMP_FILE = 'build-stamp.json';

function srcHash(root) {
  const hash = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else hash.update(path.relative(root, p)).update('\0').update(fs.readFileSync(p)).update('\0');
    }
  };
  walk(path.join(root, 'src'));
  return hash.digest('hex');
}

module.exports = { srcHash, STAMP_FILE };
