// The TextMate grammar, tokenised by vscode-textmate (the engine VS Code runs) over every
// shipped spec: no line fails, no token is marked invalid, and comments, sizes, numbers,
// strings, definitions, statements and the layers or blocks that start a line item get the
// scopes the grammar promises, found here independently by reading the text.
const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const ROOT = path.resolve(__dirname, "..", "..", "..");
const GRAMMAR = path.join(__dirname, "..", "syntaxes", "incdsl.tmLanguage.json");

function specs(dir = path.join(ROOT, "architectures")) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return specs(full);
    return entry.name.endsWith(".inc") ? [full] : [];
  });
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR),
  });
  return registry.loadGrammar("source.incdsl");
}

// [{start, end, scopes}] for each line of a text
function tokenise(grammar, text) {
  let stack = vsctm.INITIAL;
  return text.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => ({ start: t.startIndex, end: t.endIndex, scopes: t.scopes }));
  });
}

function scopeAt(tokens, column) {
  const token = tokens.find((t) => t.start <= column && column < t.end);
  return token ? token.scopes.join(" ") : "";
}

function codeOf(line) {
  // the line without its comment (specs have no '#' inside strings)
  const hash = line.indexOf("#");
  return hash < 0 ? line : line.slice(0, hash);
}

test("every shipped spec tokenises, with the scopes its text calls for", async () => {
  const grammar = await loadGrammar();
  const files = specs();
  assert.ok(files.length >= 8, `found ${files.length} specs`);
  let checked = 0;
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const tokens = tokenise(grammar, lines.join("\n"));
    let depth = 0; // open parentheses: a line that starts inside them continues the one above
    lines.forEach((line, i) => {
      const inside = depth > 0;
      for (const c of codeOf(line)) depth += c === "(" ? 1 : c === ")" ? -1 : 0;
      const where = `${path.relative(ROOT, file)}:${i + 1}`;
      const at = (column) => scopeAt(tokens[i], column);
      for (const t of tokens[i]) {
        assert.ok(!t.scopes.some((s) => s.startsWith("invalid")), `${where}: invalid token`);
      }
      const hash = line.indexOf("#");
      if (hash >= 0) {
        assert.match(at(hash), /comment\.line/, `${where}: comment`);
        assert.match(at(line.length - 1), /comment\.line/, `${where}: comment to the end`);
      }
      const code = codeOf(line);
      for (const m of code.matchAll(/(?<![\w.])\d+(x\d+)+(?!\w)/g)) {
        assert.match(at(m.index), /constant\.numeric/, `${where}: size ${m[0]}`);
        checked++;
      }
      for (const m of code.matchAll(/(?<![\w.x])\d+(\.\d+)?(?![\w.])/g)) {
        assert.match(at(m.index), /constant\.numeric/, `${where}: number ${m[0]}`);
      }
      for (const m of code.matchAll(/"[^"]*"/g)) {
        assert.match(at(m.index), /string\.quoted/, `${where}: string`);
      }
      if (inside) return;
      const def = code.match(/^(block|network) (\w+)/);
      if (def) {
        assert.match(at(0), /storage\.type/, `${where}: ${def[1]}`);
        assert.match(at(def[0].length - 1), /entity\.name\.type/, `${where}: its name`);
        return;
      }
      if (/^\s*use\b/.test(code)) {
        assert.match(at(code.indexOf("use")), /keyword\.control\.import/, `${where}: use`);
        return;
      }
      const head = code.match(/^(\s*)(\w+)/);
      if (!head || /^(if|else)$/.test(head[2])) return;
      const expected = /:\s*$/.test(code) ? /keyword\.control\.statement/ : /entity\.name\.function/;
      assert.match(at(head[1].length), expected, `${where}: ${head[2]}`);
      for (const m of code.matchAll(/->\s*(\w+)/g)) {
        assert.match(at(m.index), /keyword\.operator\.chain/, `${where}: ->`);
        assert.match(at(m.index + m[0].length - 1), /entity\.name\.function/, `${where}: ${m[1]}`);
      }
      for (const m of code.matchAll(/(\w+)=(?!=)/g)) {
        assert.match(at(m.index), /variable\.parameter/, `${where}: ${m[1]}=`);
      }
      checked++;
    });
  }
  assert.ok(checked > 200, `checked ${checked} things`);
});
