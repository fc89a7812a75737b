// The incdsl extension: the TextMate grammar and language configuration come from
// package.json; this starts the language server (`incdsl lsp`) for .inc files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("incdsl")
    .get("server.command", ["incdsl", "lsp"]);
  client = new LanguageClient(
    "incdsl",
    "incdsl language server",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "incdsl" },
        { scheme: "untitled", language: "incdsl" },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `incdsl: could not start '${[command, ...args].join(" ")}' (${error.message}). ` +
        "Install incdsl (./setup.sh) or set incdsl.server.command.",
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
