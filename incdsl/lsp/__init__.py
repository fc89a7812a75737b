"""The language server (`incdsl lsp`): errors as you type, shapes on hover, definitions,
references, completion from the op registry, the outline and formatting. `server` holds the
protocol; the other modules answer each kind of request from an `analysis.Analysis`."""
