// PurgeCSS for scripts/build_css.py, which gives the options as JSON on standard
// input: {"css": path, "content": [paths], "tags": [names], "classes": [names]}.
// Writes the CSS that is kept on standard output.
//
// The content files are read by PurgeCSS's default extractor (every word may be a
// class, an element or an id). "tags" are element names only (the elements a
// guide's markdown may hold) and "classes" class names only (found in Python), so
// that neither keeps a rule of the other kind. Unused custom properties (--bs-*) go.
"use strict";

const fs = require("node:fs");
const { PurgeCSS } = require("purgecss");

function only(kind) {
  return (content) => {
    const names = content.split(/\s+/).filter(Boolean);
    return {
      attributes: { names: [], values: [] },
      classes: kind === "classes" ? names : [],
      ids: [],
      tags: kind === "tags" ? names : [],
      undetermined: [],
    };
  };
}

async function main() {
  const options = JSON.parse(fs.readFileSync(0, "utf8"));
  const [result] = await new PurgeCSS().purge({
    css: [options.css],
    content: [
      ...options.content,
      { raw: options.tags.join(" "), extension: "tags" },
      { raw: options.classes.join(" "), extension: "classes" },
    ],
    extractors: [
      { extractor: only("tags"), extensions: ["tags"] },
      { extractor: only("classes"), extensions: ["classes"] },
    ],
    variables: true,
  });
  process.stdout.write(result.css);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
