"""Graph IR -> schematic diagrams in the style of the Inception papers' figures."""
