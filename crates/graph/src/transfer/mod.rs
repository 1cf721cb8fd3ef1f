//! Content transfers: downloads, uploads, and recursive folder transfers.

pub(crate) mod download;
pub(crate) mod local;
pub(crate) mod ranges;
pub(crate) mod source;
pub(crate) mod tree;
pub(crate) mod upload;
