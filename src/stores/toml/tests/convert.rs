//! Trees that come without a layout (from YAML or JSON, or built by hand).
