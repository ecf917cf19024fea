//! Filer access (listing and deleting `/topics/...`).
//!
//! PLACEHOLDER: being written.
