//! The TUI. PLACEHOLDER: being written.
